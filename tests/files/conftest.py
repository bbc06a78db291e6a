"""The files tests' app: a hot folder per session, small limits so edge cases stay fast."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from files_samples import LIMIT, PER_REQUEST
from oversight.auth.dependencies import get_session
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.config import FilesSettings, Settings
from oversight.config.storage import StorageTarget
from oversight.db.session import transaction_scope
from storage_harness import seaweed, sshd


@pytest.fixture(scope="session")
def files_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    files = FilesSettings(
        hot_dir=tmp_path_factory.mktemp("hot"), max_size_bytes=LIMIT, max_per_request=PER_REQUEST
    )
    limits = settings.ratelimit.model_copy(update={"enabled": False})
    return settings.model_copy(update={"files": files, "ratelimit": limits})


@pytest.fixture
def files_client(files_settings, apps, session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    application = apps.get("files", lambda: files_settings)
    _wire(application, session)
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client
    application.dependency_overrides.clear()


@pytest.fixture(scope="session")
def cold_settings(files_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The files settings with a local cold tier (a folder of its own)."""
    cold = StorageTarget(url=str(tmp_path_factory.mktemp("cold")), retries=0)
    files = files_settings.files.model_copy(update={"cold": cold})
    return files_settings.model_copy(update={"files": files})


@pytest.fixture
def cold_client(cold_settings, apps, session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    application = apps.get("files-cold", lambda: cold_settings)
    _wire(application, session)
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client
    application.dependency_overrides.clear()


def _wire(application: Any, session: Session) -> None:
    """Every request in the test's transaction (as tests/conftest.py's `app` fixture does)."""

    def test_session() -> Iterator[Session]:
        session.commit()
        session.info.pop(PRINCIPAL_KEY, None)
        session.expunge_all()
        with transaction_scope(session):
            yield session

    application.dependency_overrides[get_session] = test_session


__all__ = ["seaweed", "sshd"]
