"""Liveness and readiness probes (public: no authentication).

`/ready` answers 200 only when every check passes: the database answers, its schema is at
the newest migration, and Redis answers when one is configured. Each check's outcome is in
the body; a 503 names what failed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from oversight.db import migrate as db_migrate

router = APIRouter(tags=["health"])

Check = Callable[[], str | None]  # None when healthy, else a short reason


@functools.cache
def _migration_heads() -> frozenset[str]:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", db_migrate.SCRIPT_LOCATION)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_check(engine: Engine) -> Check:
    def check() -> str | None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return "unreachable"
        return None

    return check


def redis_check(url: str, timeout_seconds: float = 0.5) -> Check:
    """A PING within `timeout_seconds`; the client reconnects by itself once Redis is back."""
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
    )

    def check() -> str | None:
        try:
            client.ping()
        except (redis.RedisError, OSError):
            return "unreachable"
        return None

    return check


def migrations_check(engine: Engine) -> Check:
    def check() -> str | None:
        try:
            current = db_migrate.current_revision(engine)
        except SQLAlchemyError:
            return "unknown (database unreachable)"
        if current not in _migration_heads():
            return f"not at head (at {current or 'none'}; run `oversight migrate`)"
        return None

    return check


def readiness_checks(request: Request) -> dict[str, Check]:
    """The checks `/ready` runs; other components (e.g. Redis) add theirs to app.state."""
    engine: Engine = request.app.state.engine
    checks: dict[str, Check] = {
        "database": database_check(engine),
        "migrations": migrations_check(engine),
    }
    checks.update(getattr(request.app.state, "readiness_checks", {}))
    return checks


@router.get("/health", summary="Liveness: the process is up")
def health() -> dict[str, str]:
    """Answers `{"status": "ok"}` while the process runs, without touching the database: for
    a liveness probe (restart when it fails). Use GET /ready to decide whether to send it
    traffic."""
    return {"status": "ok"}


@router.get("/ready")
def ready(request: Request) -> JSONResponse:
    """The process can serve: database reachable, schema at head (and Redis, if configured)."""
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in readiness_checks(request).items():
        if name == "migrations" and "database" in failed:
            results[name] = "skipped"
            continue
        problem = check()
        results[name] = "ok" if problem is None else problem
        if problem is not None:
            failed.append(name)
    if failed:
        body = {"status": "unavailable", "failed": failed, "checks": results}
        return JSONResponse(body, 503)
    return JSONResponse({"status": "ok", "checks": results})
