"""The web application: create_app() wires settings, database, row scope, errors and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import Scope

from oversight import __version__
from oversight.alerts.metrics import AlertStatsCollector
from oversight.analytics.cache import make_cache
from oversight.analytics.gauges import BusinessCollector
from oversight.api import api_router, files_api_router
from oversight.audit.metrics import AuditChainCollector
from oversight.config import Settings, get_settings
from oversight.db.session import session_factory
from oversight.edge.app import install_edge
from oversight.edge.docs import install_docs
from oversight.errors import errors_documented_as_sent
from oversight.files.metrics import FilesCollector
from oversight.kit.memory import freeze_startup_heap
from oversight.observability.app import install_observability
from oversight.observability.error_responses import install_error_handlers
from oversight.telegram.webhook import install_webhook_bot, webhook_bot
from oversight.wiring import install as install_wiring
from oversight.wiring import open_database, wire_engine


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The ASGI app. Pass `engine` to share one (tests; it is wired with these settings'
    keyring); otherwise the database is opened from settings (`oversight.wiring`)."""
    settings = settings or get_settings()
    install_wiring()
    owns_engine = engine is None
    db_engine = open_database(settings) if engine is None else wire_engine(engine, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        build_route_table(app)
        if app.state.rate_limiter is not None:
            await app.state.rate_limiter.warm_up()
        freeze_startup_heap()
        telegram = webhook_bot(app)
        if telegram is not None:
            await telegram.start()
        yield
        if telegram is not None:
            await telegram.stop()
        if owns_engine:
            db_engine.dispose()

    docs = settings.docs_enabled
    app = FastAPI(
        title="Oversight",
        version=__version__,
        description="Service desk back office: customers, projects, requests, work logs, invoices.",
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_docs, not from a CDN
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    if docs:
        install_docs(app, "/openapi.json")
    app.state.settings = settings
    _document_errors_as_sent(app)
    app.state.engine = db_engine
    app.state.session_factory = session_factory(db_engine)
    app.state.read_session_factory = session_factory(db_engine, write=False)
    # Safe-method requests (GET, HEAD) on SQLite read in a deferred, query-only transaction:
    # SQLite has one write lock, and a slow read holding it would queue every writer behind
    # it. Their few writes (audit events) land after the read (`oversight.db.session`). On
    # PostgreSQL readers never wait for writers; every request keeps the write session.
    app.state.safe_session_factory = (
        app.state.read_session_factory
        if db_engine.dialect.name == "sqlite"
        else app.state.session_factory
    )
    app.state.analytics_cache = make_cache(settings.analytics)
    install_error_handlers(app)
    install_observability(app, settings)
    install_edge(app, settings)
    app.state.metric_collectors += [
        BusinessCollector(db_engine, settings),
        AuditChainCollector(db_engine),
        AlertStatsCollector(db_engine, settings),
        FilesCollector(db_engine, settings),
    ]
    app.include_router(api_router)
    app.include_router(files_api_router)
    install_webhook_bot(app, settings)
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
