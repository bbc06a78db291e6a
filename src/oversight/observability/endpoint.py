"""`GET /metrics`: the Prometheus exposition, behind a token, an IP allowlist, or both; with
neither configured, to loopback only.

Its IP allowlist (`observability.metrics_networks`) is enforced by the edge guard before routing,
on the client address resolved behind trusted proxies, like every other allowlist; the
endpoint checks it again on the same address, so it holds even in an app without the guard.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from oversight.config import ObservabilitySettings
from oversight.errors import NotAuthenticated, PermissionDenied
from oversight.observability import metrics
from oversight.security.network import IpAllowlist

router = APIRouter(tags=["observability"])


def _authorize(request: Request, settings: ObservabilitySettings) -> None:
    if settings.metrics_networks:
        client = request.client.host if request.client else None
        if not IpAllowlist(settings.metrics_networks).allows(client):
            raise PermissionDenied("not served to this network address")
    if settings.metrics_token is not None:
        given = request.headers.get("authorization", "")
        expected = "Bearer " + settings.metrics_token.get_secret_value()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotAuthenticated("metrics need 'Authorization: Bearer <metrics token>'")


@router.get("/metrics", include_in_schema=False)
async def get_metrics(request: Request) -> Response:
    """Prometheus text format; database-backed gauges come from a short-lived cache."""
    _authorize(request, request.app.state.settings.observability)
    extra = getattr(request.app.state, "metric_collectors", ())
    body = await run_in_threadpool(metrics.render, extra)
    return Response(body, media_type=metrics.CONTENT_TYPE)
