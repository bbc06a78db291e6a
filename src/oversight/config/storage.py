"""Where a storage backend lives: `StorageTarget`, used by backups and by the files' cold tier.

The URL's scheme picks the backend (`oversight.storage.open_storage`):
`file:///var/lib/oversight/backups` (or a plain path), `sftp://user@host:22/folder`,
`s3://bucket/prefix`, `gdrive://<folder id>`. Credentials are separate fields so the URL can
be printed and logged as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr

from oversight.config.base import _Group


class StorageTarget(_Group):
    """One storage folder and the credential that reaches it."""

    url: str = "var/backups"
    # SFTP: password or private key; the server's host key must be known (never trust on first use).
    password: SecretStr | None = None
    key_file: Path | None = None
    known_hosts: Path | None = None
    # S3-compatible: the endpoint (SeaweedFS, MinIO, a cloud) and its keys.
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    # Google Drive: a service account's JSON key; the API base URL is a setting for tests.
    credentials_file: Path | None = None
    api_base_url: str = "https://www.googleapis.com"
    timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
