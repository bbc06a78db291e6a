"""`GET /metrics`: the Prometheus exposition, behind an optional token and IP allowlist."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from oversight.config import ObservabilitySettings
from oversight.errors import NotAuthenticated, PermissionDenied
from oversight.observability import metrics

router = APIRouter(tags=["observability"])


def _allowed(client_ip: str | None, networks: Sequence[str]) -> bool:
    if client_ip is None:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _authorize(request: Request, settings: ObservabilitySettings) -> None:
    if settings.metrics_allow:
        client = request.client.host if request.client else None
        if not _allowed(client, settings.metrics_allow):
            raise PermissionDenied("metrics are not served to this address")
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
