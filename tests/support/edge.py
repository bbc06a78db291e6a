"""Apps with edge settings of a test's choosing, wired to the test's transaction like `app`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from oversight.config import ApiSettings, RateLimitSettings, Settings
from oversight.main import create_app

OUTSIDE = ("203.0.113.7", 50000)  # TEST-NET-3: an address on the internet
PROXY = ("10.0.0.2", 50000)  # our reverse proxy


def edge_settings(
    settings: Settings,
    *,
    api: dict[str, Any] | None = None,
    ratelimit: dict[str, Any] | None = None,
    **groups: Any,
) -> Settings:
    """`settings` with some API and rate-limit settings changed (validated like the env)."""
    update: dict[str, Any] = dict(groups)
    if api is not None:
        update["api"] = ApiSettings.model_validate({**settings.api.model_dump(), **api})
    if ratelimit is not None:
        # A loaded CI machine can keep a real Redis busy past the production 0.5 s, which
        # opens the breaker and lets requests through; tests of slowness set their own.
        update["ratelimit"] = RateLimitSettings.model_validate({"timeout_seconds": 5, **ratelimit})
    return settings.model_copy(update=update)


def make_edge_app(base: FastAPI, settings: Settings, engine: Engine) -> FastAPI:
    """A new app on `settings`, sharing the test transaction of the fixture app `base`."""
    application = create_app(settings, engine=engine)
    application.dependency_overrides.update(base.dependency_overrides)
    return application


@contextmanager
def client_from(
    app: FastAPI, peer: tuple[str, int] = OUTSIDE, base_url: str = "http://testserver"
) -> Iterator[TestClient]:
    with TestClient(app, client=peer, base_url=base_url, raise_server_exceptions=False) as client:
        yield client
