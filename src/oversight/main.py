"""The web application: create_app() wires settings, database, row scope, errors and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import Scope

from oversight import __version__
from oversight.analytics.cache import make_cache
from oversight.analytics.version import install_version_tracking
from oversight.api import api_router
from oversight.audit.capture import install_audit_capture
from oversight.audit.metrics import AuditChainCollector
from oversight.auth.scope import install_row_scope
from oversight.config import Settings, get_settings
from oversight.db.encrypted import bind_keyring
from oversight.db.session import create_db_engine, session_factory
from oversight.edge.app import install_edge
from oversight.errors import errors_documented_as_sent, install_error_handlers
from oversight.observability.app import install_observability


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The ASGI app. Pass `engine` to share one (tests); otherwise one is made from settings."""
    settings = settings or get_settings()
    owns_engine = engine is None
    db_engine = engine if engine is not None else create_db_engine(settings.database)
    if owns_engine:
        bind_keyring(db_engine, settings.encryption.keyring)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        build_route_table(app)
        if app.state.rate_limiter is not None:
            await app.state.rate_limiter.warm_up()
        yield
        if owns_engine:
            db_engine.dispose()

    docs = settings.docs_enabled
    app = FastAPI(
        title="Oversight",
        version=__version__,
        description="Service desk back office: customers, projects, requests, work logs, invoices.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    _document_errors_as_sent(app)
    app.state.engine = db_engine
    app.state.session_factory = session_factory(db_engine)
    app.state.read_session_factory = session_factory(db_engine, write=False)
    app.state.analytics_cache = make_cache(settings.analytics)
    install_row_scope()
    install_version_tracking()
    install_audit_capture()
    install_error_handlers(app)
    install_observability(app, settings)
    install_edge(app, settings)
    app.state.metric_collectors.append(AuditChainCollector(db_engine))
    app.include_router(api_router)
    return app


def _document_errors_as_sent(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = errors_documented_as_sent(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_NO_ROUTE: Scope = {
    "type": "http", "method": "GET", "path": "/-/warm-up", "root_path": "", "headers": [],
    "query_string": b"",
}  # fmt: skip


def build_route_table(app: FastAPI) -> None:
    """Build FastAPI's route table now, before the server takes requests.

    FastAPI prepares the routes of an included router (their parameter and response models)
    when a request first has to match against them; for Oversight's API that is about a
    second of work the first caller of each worker would otherwise wait for. Matching a path
    that no route has walks every router once.
    """
    for route in app.router.routes:
        route.matches(_NO_ROUTE)
