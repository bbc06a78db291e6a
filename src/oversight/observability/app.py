"""Wires observability into the web application (called once by `create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from oversight.config import Settings
from oversight.observability import metrics, sentry
from oversight.observability.endpoint import router as metrics_router
from oversight.observability.health import router as health_router
from oversight.observability.logging import configure_logging
from oversight.observability.middleware import ObservabilityMiddleware


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Logging, Sentry, the middleware, `/metrics`, `/health` and `/ready` on `app`.

    Leaves `app.state.metric_collectors` empty for the packages that add collectors computed
    at scrape time (analytics' business gauges, the audit chain: `create_app` appends them);
    observability imports no domain code. Cheap and idempotent per process: logging and Sentry are
    configured once however many apps are created (the tests create one per test).
    """
    observability = settings.observability
    configure_logging(observability)
    if not sentry.enabled():
        sentry.init_sentry(settings)
    if observability.metrics_enabled or observability.access_log:
        app.add_middleware(
            ObservabilityMiddleware,
            metrics_enabled=observability.metrics_enabled,
            access_log=observability.access_log,
        )
    app.state.metric_collectors = []  # scraped by /metrics; other packages append theirs
    metrics.compact_dead_workers()
    app.include_router(health_router)
    if observability.metrics_enabled:
        app.include_router(metrics_router)
