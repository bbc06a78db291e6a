"""The web application: create_app() wires settings, database, row scope, errors and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import Scope

from oversight import __version__
from oversight.analytics.cache import make_cache
from oversight.api import api_router, files_api_router
from oversight.audit.metrics import AuditChainCollector
from oversight.config import Settings, get_settings
from oversight.db.session import session_factory
from oversight.edge.app import install_edge
from oversight.errors import install_error_handlers
from oversight.files.metrics import FilesCollector
from oversight.observability.app import install_observability
from oversight.wiring import open_database, wire_engine


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The ASGI app. Pass `engine` to share one (tests; it is wired with these settings'
    keyring); otherwise the database is opened from settings (`oversight.wiring`)."""
    settings = settings or get_settings()
    owns_engine = engine is None
    db_engine = open_database(settings) if engine is None else wire_engine(engine, settings)

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
    app.state.engine = db_engine
    app.state.session_factory = session_factory(db_engine)
    app.state.analytics_cache = make_cache(settings.analytics)
    install_error_handlers(app)
    install_observability(app, settings)
    install_edge(app, settings)
    app.state.metric_collectors.append(AuditChainCollector(db_engine))
    app.state.metric_collectors.append(FilesCollector(db_engine, settings))
    app.include_router(api_router)
    app.include_router(files_api_router)
    return app


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
