"""Wires the edge into the web application (called once by `create_app`, after observability)."""

from __future__ import annotations

import os
import re

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from oversight.config import Settings
from oversight.edge.docs import DOCS_PATH
from oversight.edge.middleware import GuardMiddleware, TransportMiddleware
from oversight.edge.rules import PathSet, RateTable
from oversight.observability.health import Check, redis_check
from oversight.observability.metrics import MULTIPROC_ENV
from oversight.security.network import IpAllowlist, TrustedProxies
from oversight.security.rate_limiter import RateLimiter

WORKERS_ENV = "WEB_CONCURRENCY"  # uvicorn's and gunicorn's worker count
# Attachment uploads carry up to `files.max_size_bytes` of file plus the multipart framing;
# the route itself counts the file's bytes exactly and refuses one byte over (413).
UPLOAD_PATHS = re.compile(r"^/api/v1/requests/[^/]+/attachments$")
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class SharedStorageRequired(Exception):
    """Several workers would each count rate limits on their own."""


def check_rate_limit_storage(settings: Settings, workers: int) -> None:
    """Refuse in-process rate-limit counting when more than one worker serves.

    With N workers each process counts alone, so every limit would in effect be N times
    higher (and a client's requests would be counted at random): a limit that only holds
    sometimes is not a limit.
    """
    if workers > 1 and settings.ratelimit.enabled and settings.rate_limit_redis_url is None:
        raise SharedStorageRequired(
            f"{workers} workers cannot share in-process rate limits: set "
            "OVERSIGHT_RATELIMIT__REDIS_URL (or OVERSIGHT_ANALYTICS__REDIS_URL), "
            "or serve with one worker"
        )


def worker_count_from_environment() -> int:
    """Workers this process belongs to, as the server announced it (1 if it did not).

    `oversight serve --workers N` and uvicorn/gunicorn set WEB_CONCURRENCY or the Prometheus
    multiprocess directory; either means several processes serve the same port.
    """
    try:
        workers = int(os.environ.get(WORKERS_ENV, "1"))
    except ValueError:
        workers = 1
    if os.environ.get(MULTIPROC_ENV):
        workers = max(workers, 2)
    return workers


def make_rate_limiter(settings: Settings) -> RateLimiter | None:
    if not settings.ratelimit.enabled:
        return None
    return RateLimiter(
        settings.rate_limit_redis_url,
        timeout_seconds=settings.ratelimit.timeout_seconds,
        breaker_seconds=settings.ratelimit.breaker_seconds,
    )


def redis_readiness_checks(settings: Settings) -> dict[str, Check]:
    """`/ready` checks for each Redis the app is configured with (rate limits, KPI cache)."""
    urls = {
        "redis": settings.rate_limit_redis_url if settings.ratelimit.enabled else None,
        "redis_kpi_cache": (
            settings.analytics.redis_url.get_secret_value()
            if settings.analytics.redis_url
            else None
        ),
    }
    checks: dict[str, Check] = {}
    seen: set[str] = set()
    for name, url in urls.items():
        if url is not None and url not in seen:
            seen.add(url)
            checks[name] = redis_check(url, settings.ratelimit.timeout_seconds)
    return checks


def install_edge(app: FastAPI, settings: Settings) -> None:
    """The guard innermost of the user middleware, CORS around it, the transport layer
    outermost (see `oversight.edge.middleware` for the order and why)."""
    check_rate_limit_storage(settings, worker_count_from_environment())
    api = settings.api
    limiter = make_rate_limiter(settings)
    app.state.rate_limiter = limiter
    app.state.rate_table = RateTable(settings.ratelimit.rules)
    checks = getattr(app.state, "readiness_checks", {})
    app.state.readiness_checks = {**checks, **redis_readiness_checks(settings)}
    app.user_middleware.append(
        Middleware(
            GuardMiddleware,
            admin_paths=PathSet(api.admin_paths),
            admin_allow=IpAllowlist(api.admin_allow),
            metrics_allow=IpAllowlist(settings.observability.metrics_networks),
            max_body_bytes=api.max_body_bytes,
            limiter=limiter,
            table=app.state.rate_table,
            route_body_limits=(
                (UPLOAD_PATHS, settings.files.max_size_bytes + MULTIPART_OVERHEAD_BYTES),
            ),
        )
    )
    if api.cors_origins:
        guard = len(app.user_middleware) - 1
        app.user_middleware.insert(
            guard,
            Middleware(
                CORSMiddleware,
                allow_origins=list(api.cors_origins),
                allow_credentials=api.cors_allow_credentials,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"],
                max_age=600,
            ),
        )
    app.user_middleware.insert(
        0,
        Middleware(
            TransportMiddleware,
            trusted_proxies=TrustedProxies(api.trusted_proxies),
            hsts_seconds=api.hsts_seconds,
            docs_prefix=DOCS_PATH if settings.docs_enabled else None,
        ),
    )
