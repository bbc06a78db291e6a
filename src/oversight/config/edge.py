"""The HTTP API and its edge, rate limits included: `OVERSIGHT_API__*`, `OVERSIGHT_RATELIMIT__*`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, Networks, _Group, _redis_url

# Admin endpoints that `admin_allow` guards: user administration (not a user's own /users/me),
# the audit trail and anything under /api/v1/admin. `*` matches any characters, `[0-9]` a digit.
DEFAULT_ADMIN_PATHS = (
    "/api/v1/users",
    "/api/v1/users/[0-9]*",
    "/api/v1/audit",
    "/api/v1/audit/*",
    "/api/v1/admin/*",
)


Paths = Annotated[tuple[Annotated[str, Field(pattern=r"^/")], ...], NoDecode, LIST_FROM_TEXT]


class ApiSettings(_Group):
    """The HTTP API and its edge: docs, proxies, allowlists, body size, CORS, headers."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    docs_enabled: bool | None = None  # None: on, except in production
    max_page_size: Annotated[int, Field(ge=1, le=1000)] = 200
    trusted_proxies: Networks = ("127.0.0.1/32", "::1/128")
    admin_allow: Networks = ()
    admin_paths: Annotated[
        tuple[Annotated[str, Field(pattern=r"^/")], ...], NoDecode, LIST_FROM_TEXT
    ] = DEFAULT_ADMIN_PATHS
    max_body_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024 * 1024)] = 1024 * 1024
    hsts_seconds: Annotated[int, Field(ge=0, le=2 * 365 * 86_400)] = 365 * 86_400
    cors_origins: Annotated[
        tuple[Annotated[str, Field(pattern=r"^https?://[^/\s]+$")], ...], NoDecode, LIST_FROM_TEXT
    ] = ()
    cors_allow_credentials: bool = False


def _check_limits(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"not a rate limit {value!r} (e.g. 10/minute, or 10/minute;100/hour)"
        ) from None
    return value


Limits = Annotated[str | None, AfterValidator(_check_limits)]


class RateRule(_Group):
    """One line of the rate-limit table: which paths, how many requests, what if unknown.

    `paths` are patterns on the request path (`*` any characters). `per_ip` counts requests
    from one client address, `per_user` requests of one signed-in user (or, with
    `account_field`, of one account named in the JSON body, as at login). `fail_closed`:
    refuse (503) rather than allow when the limiter's storage cannot be reached.
    """

    paths: tuple[Annotated[str, Field(pattern=r"^[/*]")], ...]
    per_ip: Limits = None
    per_user: Limits = None
    fail_closed: bool = False
    account_field: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")] | None = None


# The first rule whose pattern matches the path applies (`default` last, matching the rest).
# The sign-in rules name the paths of the session endpoints; a rule for a path that does not
# exist yet costs nothing and attaches when the route appears.
DEFAULT_RATE_RULES: dict[str, dict[str, Any]] = {
    "probes": {"paths": ["/health", "/ready"]},
    "login": {
        "paths": ["/api/v1/auth/login"],
        "per_ip": "20/minute;200/hour",
        "per_user": "10/minute;60/hour",
        "fail_closed": True,
        "account_field": "username",
    },
    "two_factor": {
        "paths": ["/api/v1/auth/*2fa*", "/api/v1/auth/*totp*", "/api/v1/users/me/*2fa*",
                  "/api/v1/users/me/*totp*", "/api/v1/auth/*recovery*"],
        "per_ip": "20/minute;200/hour",
        "per_user": "10/minute;60/hour",
        "fail_closed": True,
    },
    "refresh": {
        "paths": ["/api/v1/auth/refresh*", "/api/v1/auth/token*"],
        "per_ip": "60/minute",
        "per_user": "30/minute",
        "fail_closed": True,
    },
    "password": {
        "paths": ["/api/v1/users/me/password*", "/api/v1/auth/password*"],
        "per_ip": "10/minute;50/hour",
        "per_user": "5/minute;20/hour",
        "fail_closed": True,
    },
    "exports": {
        "paths": ["/api/v1/*/export", "/api/v1/*/export.*", "/api/v1/*/export/*"],
        "per_ip": "60/hour",
        "per_user": "30/hour",
    },
    "analytics": {
        "paths": ["/api/v1/analytics/*"],
        "per_ip": "300/minute",
        "per_user": "120/minute",
    },
    "default": {"paths": ["*"], "per_ip": "1200/minute", "per_user": "600/minute"},
}  # fmt: skip


class RateLimitSettings(_Group):
    """Moving-window rate limits (the `limits` library) on Redis, or in-process memory.

    Storage: `redis_url`, else the analytics Redis (`analytics.redis_url`), else this
    process's memory — which only a single worker may use.
    """

    enabled: bool = True
    redis_url: SecretStr | None = None  # may carry a password
    timeout_seconds: Annotated[float, Field(gt=0, le=5)] = 0.5
    breaker_seconds: Annotated[float, Field(gt=0, le=600)] = 5.0
    rules: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")], RateRule]

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        """Rules given (e.g. OVERSIGHT_RATELIMIT__RULES__LOGIN__PER_IP) override one figure;
        every other rule and figure keeps its default."""
        if not isinstance(data, dict):
            return data
        given = data.get("rules") or {}
        merged: dict[str, Any] = {}
        for name in [*DEFAULT_RATE_RULES, *given]:
            rule = given.get(name, {})
            if isinstance(rule, RateRule):
                rule = rule.model_dump()
            merged[name] = (
                {**DEFAULT_RATE_RULES.get(name, {}), **rule} if isinstance(rule, dict) else rule
            )
        return {**data, "rules": merged}

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        return _redis_url(value)
