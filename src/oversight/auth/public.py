"""The routes anyone may call without an access token: the one allowlist.

Every other route must require an authenticated caller — depend, directly or through
`require(...)`, on `oversight.auth.dependencies.get_current_principal` (or, for the 2FA
endpoints, `get_two_factor_caller`, which also admits the "2FA pending" token from login).
A test walks every route of the app and fails on one that is neither (tests/auth/
test_public.py), so a new route is protected unless it is added here, with the reason it may
be public.
"""

from __future__ import annotations

from dataclasses import dataclass

_GET = frozenset({"GET"})
_GET_HEAD = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class PublicRoute:
    path: str
    methods: frozenset[str]
    reason: str


PUBLIC_ROUTES: tuple[PublicRoute, ...] = (
    PublicRoute("/api/v1/auth/login", frozenset({"POST"}), "exchanges credentials for a token"),
    PublicRoute(
        "/api/v1/auth/refresh",
        frozenset({"POST"}),
        "the refresh token in the body is the credential",
    ),
    PublicRoute(
        "/api/v1/auth/logout",
        frozenset({"POST"}),
        "ends the session of the refresh token it is given",
    ),
    PublicRoute(
        "/api/v1/alerts/alertmanager",
        frozenset({"POST"}),
        "machine to machine: Alertmanager's own bearer token (alerts.intake_token), compared "
        "in constant time; closed (401) while no token is configured",
    ),
    PublicRoute(
        "/api/v1/telegram/webhook",
        frozenset({"POST"}),
        "Telegram's secret-token header is the credential (compared in constant time)",
    ),
    PublicRoute(
        "/api/v1/files/{attachment_id}/content",
        _GET,
        "signed download link: the HMAC over path, expiry and user is the credential, and the "
        "file is read in that user's row scope (oversight.files.signing)",
    ),
    PublicRoute(
        "/api/v1/files/{attachment_id}/preview",
        _GET,
        "signed preview link, as the download link",
    ),
    PublicRoute("/health", _GET, "liveness probe: says only that the process is up"),
    PublicRoute("/ready", _GET, "readiness probe for the load balancer"),
    PublicRoute("/metrics", _GET, "own protection: metrics token and IP allowlist (observability)"),
    PublicRoute("/openapi.json", _GET_HEAD, "API description; off in production"),
    PublicRoute("/docs", _GET_HEAD, "API docs page; off in production"),
    PublicRoute("/docs/oauth2-redirect", _GET_HEAD, "part of the docs page"),
    PublicRoute("/docs/assets/{name}", _GET_HEAD, "the docs page's script, style and icon"),
)


def is_public(method: str, path: str) -> bool:
    """True if `method path` (a route's path template) is on the allowlist."""
    return any(route.path == path and method.upper() in route.methods for route in PUBLIC_ROUTES)
