"""A backed-up world per test: a fresh migrated database with data and audit events, a files
folder, a local backup folder, a freshly generated age identity (never stored in the
repository) and the settings pointing at all of them, also as `OVERSIGHT_*` variables for
the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from builders import make_request, make_user
from oversight.audit.capture import install_audit_capture
from oversight.backup.database import open_database
from oversight.config import Settings, get_settings, load_settings
from oversight.db.encrypted import bind_keyring
from oversight.db.migrate import upgrade
from oversight.db.session import session_factory, unit_of_work
from oversight.security.fieldcrypt import generate_key
from oversight.storage.local import LocalStorage
from storage_harness import sshd

__all__ = ["sshd"]  # the session's sshd (SFTP archives, the storage monitor)

PAYLOAD_SIZES = (0, 65_535, 65_536, 65_537)


@dataclass
class World:
    root: Path
    engine: Engine
    settings: Settings
    identity_file: Path
    recipient: str
    storage_dir: Path
    files_dir: Path

    @property
    def storage(self) -> LocalStorage:
        return LocalStorage(self.storage_dir)

    def identities(self) -> list[pyrage.x25519.Identity]:
        from oversight.backup.crypto import read_identities

        return read_identities(self.identity_file)

    def session(self) -> Iterator[Session]:
        return unit_of_work(session_factory(self.engine))  # type: ignore[return-value]


def write_identity(path: Path) -> str:
    identity = pyrage.x25519.Identity.generate()
    path.write_text(f"# test identity\n{identity}\n")
    path.chmod(0o600)
    return str(identity.to_public())


def populate(engine: Engine, requests: int = 3) -> None:
    with unit_of_work(session_factory(engine)) as session:
        make_user(session)
        for _ in range(requests):
            make_request(session)


@pytest.fixture
def world(
    monkeypatch: pytest.MonkeyPatch, backend: str, database_url_factory: object, tmp_path: Path
) -> Iterator[World]:
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    url = database_url_factory(backend)  # type: ignore[operator]
    monkeypatch.chdir(tmp_path)
    recipient = write_identity(tmp_path / "identity.txt")
    files_dir = tmp_path / "files"
    (files_dir / "photos").mkdir(parents=True)
    for size in PAYLOAD_SIZES:
        (files_dir / "photos" / f"p{size}.bin").write_bytes(os.urandom(size))
    env = {
        "OVERSIGHT_ENV": "test",
        "OVERSIGHT_DATABASE__URL": url,
        "OVERSIGHT_BACKUP__RECIPIENTS": f'["{recipient}"]',
        "OVERSIGHT_BACKUP__TARGET__URL": str(tmp_path / "remote"),
        "OVERSIGHT_BACKUP__STAGING_DIR": str(tmp_path / "staging"),
        "OVERSIGHT_BACKUP__FILES_DIR": str(files_dir),
        "OVERSIGHT_BACKUP__UPLOAD_BACKOFF_SECONDS": "0",
        "OVERSIGHT_ENCRYPTION__KEYS": f"test:{generate_key()}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = load_settings(_env_file=None)
    engine = open_database(url)
    bind_keyring(engine, settings.encryption.keyring)
    upgrade(engine)
    install_audit_capture()
    populate(engine)
    yield World(tmp_path, engine, settings, tmp_path / "identity.txt", recipient,
                tmp_path / "remote", files_dir)  # fmt: skip
    engine.dispose()
    get_settings.cache_clear()
