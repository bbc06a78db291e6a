"""Where a storage backend lives: `StorageTarget`, used by backups and by the files' cold tier.

The URL's scheme picks the backend (`oversight.storage.open_storage`):

- `file:///var/lib/oversight/backups` or a plain path (`var/backups`): a local folder.
- `sftp://user@host:22/absolute/folder`, or `sftp://user@host/~/folder` for a folder under the
  login directory (a cPanel account's home); the folder must exist.
- `s3://bucket` or `s3://bucket/prefix`: an S3-compatible bucket (AWS, SeaweedFS, MinIO, …);
  `endpoint_url` for anything but AWS.
- `gdrive://<folder id>`: a Google Drive folder (best in a shared drive: a service account has
  no storage quota of its own) shared with the service account.

Credentials are separate fields so the URL can be printed and logged as it is. A target used
for uploads should hold a credential that can create and read only; pruning can use a second
`StorageTarget` with the same URL and a credential allowed to delete
(`oversight.storage.open_prune_storage`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr

from oversight.config.base import _Group

MIB = 1024 * 1024


class StorageTarget(_Group):
    """One storage folder and the credential that reaches it."""

    url: str = "var/backups"
    # SFTP: password or private key; the server's host key must be known (never trust on
    # first use): a line of `known_hosts` in `host_key` ("ssh-ed25519 AAAA…", with or without
    # the host name in front), else the `known_hosts` file, else ~/.ssh/known_hosts.
    password: SecretStr | None = None
    key_file: Path | None = None
    key_passphrase: SecretStr | None = None
    known_hosts: Path | None = None
    host_key: str | None = None
    # S3-compatible: the endpoint (SeaweedFS, MinIO, a cloud) and its keys.
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    # Google Drive: a service account's JSON key (its `token_uri` is where tokens come from);
    # the API base URL is a setting for tests.
    credentials_file: Path | None = None
    api_base_url: str = "https://www.googleapis.com"
    timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    # Size of an S3 multipart part and of a Drive resumable chunk (Drive rounds it down to a
    # multiple of 256 KiB; S3 wants at least 5 MiB except in tests against SeaweedFS).
    chunk_size_bytes: Annotated[int, Field(ge=256 * 1024, le=512 * MIB)] = 8 * MIB
    # Transient failures (network, 5xx) of one request are retried this many times with
    # exponential backoff before the operation fails with `StorageUnavailable`.
    retries: Annotated[int, Field(ge=0, le=20)] = 3
