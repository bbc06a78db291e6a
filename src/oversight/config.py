"""The one Settings object: every setting of Oversight, read from `OVERSIGHT_*` and `.env`.

Groups nest with a double underscore:
`OVERSIGHT_DATABASE__URL`, `OVERSIGHT_SLA__HIGH__RESOLUTION_HOURS`.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from oversight.kit.business_hours import BusinessCalendar
from oversight.security.fieldcrypt import (
    DEVELOPMENT_KEY,
    DEVELOPMENT_KEY_ID,
    Keyring,
    KeyringError,
    parse_keys,
    read_key_file,
)
from oversight.security.passwords import Argon2Params
from oversight.vocabulary import Priority, Role

DEV_JWT_SECRET = "oversight-development-secret-change-me"  # noqa: S105 - refused outside development


class Environment(enum.StrEnum):
    development = "development"
    test = "test"
    production = "production"


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Group):
    url: str = "sqlite:///var/oversight.db"
    echo: bool = False
    pool_size: Annotated[int, Field(ge=1, le=200)] = 5

    @field_validator("url")
    @classmethod
    def _parseable(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL (expected e.g. sqlite:///var/oversight.db)"
            ) from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r} (sqlite or postgresql)"
            )
        return value


LEGACY_KEY_ID = "default"  # the key id of `jwt_secret`, the single key of older configurations
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class AuthSettings(_Group):
    """Login, passwords, tokens, sessions and two-factor authentication.

    Signing keys: `jwt_keys` maps key ids to secrets and `jwt_active_key` names the one that
    signs; `jwt_secret` (the older single-key setting) is the key with id "default". Tokens
    signed by any configured key verify, so a rotation keeps everyone logged in.
    """

    jwt_secret: SecretStr | None = None
    jwt_keys: dict[str, SecretStr] = Field(default_factory=dict)
    jwt_active_key: str | None = None
    jwt_issuer: str = "oversight"
    jwt_audience: str = "oversight-api"
    access_token_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 15
    sensitive_access_token_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 15
    sensitive_roles: frozenset[Role] = frozenset({Role.admin, Role.director, Role.accountant})
    refresh_token_days: Annotated[float, Field(gt=0, le=90)] = 14.0
    session_max_days: Annotated[float, Field(gt=0, le=365)] = 30.0
    two_factor_roles: frozenset[Role] = frozenset({Role.admin, Role.director, Role.accountant})
    two_factor_pending_minutes: Annotated[int, Field(ge=1, le=30)] = 5
    totp_issuer: Annotated[str, Field(min_length=1, max_length=64)] = "Oversight"
    argon2_time_cost: Annotated[int, Field(ge=1, le=50)] = 3
    argon2_memory_kib: Annotated[int, Field(ge=7168, le=4 * 1024 * 1024)] = 65_536
    argon2_parallelism: Annotated[int, Field(ge=1, le=64)] = 4
    password_max_length: Annotated[int, Field(ge=128, le=1024)] = 128
    login_free_failures: Annotated[int, Field(ge=1, le=100)] = 3
    login_ip_free_failures: Annotated[int, Field(ge=1, le=10_000)] = 10
    login_backoff_base_seconds: Annotated[float, Field(gt=0, le=3600)] = 1.0
    login_backoff_max_seconds: Annotated[float, Field(gt=0, le=86_400)] = 900.0
    login_account_failures_per_hour: Annotated[int, Field(ge=1, le=100)] = 100
    login_ip_failures_per_hour: Annotated[int, Field(ge=1, le=1_000_000)] = 1000

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("jwt_keys")
    @classmethod
    def _keys_long_enough(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for kid, secret in value.items():
            if not _KEY_ID.match(kid):
                raise ValueError(f"key id {kid!r}: 1-64 letters, digits, '.', '_' or '-'")
            if len(secret.get_secret_value()) < 32:
                raise ValueError(f"key {kid!r} must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.jwt_secret is not None and LEGACY_KEY_ID in self.jwt_keys:
            raise ValueError(
                f"jwt_keys: key id {LEGACY_KEY_ID!r} is jwt_secret's; name the key otherwise"
            )
        active = self.jwt_active_key
        if active is not None and active not in self.signing_keys:
            raise ValueError(f"jwt_active_key {active!r} is not among the configured keys")
        if active is None and len(self.jwt_keys) > 1:
            raise ValueError("jwt_active_key: several jwt_keys are set; name the one that signs")
        if self.login_backoff_max_seconds < self.login_backoff_base_seconds:
            raise ValueError("login_backoff_max_seconds must be at least the base")
        self.argon2  # noqa: B018 - validates the cost against OWASP's minimum
        return self

    @property
    def signing_keys(self) -> dict[str, str]:
        """Every key that verifies, by id; the development key when none is configured."""
        keys = {kid: secret.get_secret_value() for kid, secret in self.jwt_keys.items()}
        if self.jwt_secret is not None:
            keys[LEGACY_KEY_ID] = self.jwt_secret.get_secret_value()
        return keys or {LEGACY_KEY_ID: DEV_JWT_SECRET}

    @property
    def active_key_id(self) -> str:
        if self.jwt_active_key is not None:
            return self.jwt_active_key
        if self.jwt_keys:
            return next(iter(self.jwt_keys))
        return LEGACY_KEY_ID

    @property
    def argon2(self) -> Argon2Params:
        try:
            return Argon2Params(
                time_cost=self.argon2_time_cost,
                memory_kib=self.argon2_memory_kib,
                parallelism=self.argon2_parallelism,
            )
        except ValueError as error:
            raise ValueError(f"argon2_memory_kib/argon2_time_cost: {error}") from None


class CompanySettings(_Group):
    name: str = "Oversight Demo Service Co."
    timezone: str = "Europe/Moscow"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "RUB"
    workdays: frozenset[Annotated[int, Field(ge=1, le=7)]] = frozenset({1, 2, 3, 4, 5})
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    invoice_payment_days: Annotated[int, Field(ge=0, le=365)] = 30

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (IANA name, e.g. Europe/Moscow)"
            ) from None
        return value

    @model_validator(mode="after")
    def _hours_in_order(self) -> Self:
        if not self.workdays:
            raise ValueError("workdays: at least one working day is needed")
        if self.work_end <= self.work_start:
            raise ValueError("work_end must be later than work_start")
        return self

    @functools.cached_property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=ZoneInfo(self.timezone),
            workdays=frozenset(self.workdays),
            day_start=self.work_start,
            day_end=self.work_end,
            holidays=frozenset(self.holidays),
        )


class SlaTarget(_Group):
    """Business hours allowed for the first response and for resolution."""

    response_hours: Annotated[Decimal, Field(gt=0, le=10_000)]
    resolution_hours: Annotated[Decimal, Field(gt=0, le=10_000)]

    @model_validator(mode="after")
    def _response_first(self) -> Self:
        if self.resolution_hours < self.response_hours:
            raise ValueError("resolution_hours must not be shorter than response_hours")
        return self

    @property
    def response(self) -> timedelta:
        return timedelta(seconds=int(self.response_hours * 3600))

    @property
    def resolution(self) -> timedelta:
        return timedelta(seconds=int(self.resolution_hours * 3600))


_DEFAULT_SLA_HOURS = {
    "critical": {"response_hours": 1, "resolution_hours": 4},
    "high": {"response_hours": 2, "resolution_hours": 9},
    "medium": {"response_hours": 4, "resolution_hours": 27},
    "low": {"response_hours": 9, "resolution_hours": 45},
}


class SlaSettings(_Group):
    """Per-priority targets in business hours; any single figure may be overridden alone."""

    critical: SlaTarget
    high: SlaTarget
    medium: SlaTarget
    low: SlaTarget

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        merged: dict[str, Any] = {}
        for priority, defaults in _DEFAULT_SLA_HOURS.items():
            given = data.get(priority, {})
            if isinstance(given, SlaTarget):
                given = given.model_dump()
            merged[priority] = {**defaults, **given} if isinstance(given, dict) else given
        return {**data, **merged}

    def for_priority(self, priority: Priority) -> SlaTarget:
        target: SlaTarget = getattr(self, Priority(priority).value)
        return target


def _check_networks(value: tuple[str, ...]) -> tuple[str, ...]:
    """Each entry must be an IP address or a CIDR network (host bits may be set)."""
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(
                f"not an IP address or network {network!r} (e.g. 10.0.0.0/8)"
            ) from None
    return value


Networks = Annotated[tuple[str, ...], AfterValidator(_check_networks)]

# Admin endpoints that `admin_allow` guards: user administration (not a user's own /users/me),
# the audit trail and anything under /api/v1/admin. `*` matches any characters, `[0-9]` a digit.
DEFAULT_ADMIN_PATHS = (
    "/api/v1/users",
    "/api/v1/users/[0-9]*",
    "/api/v1/audit",
    "/api/v1/audit/*",
    "/api/v1/admin/*",
)


class ApiSettings(_Group):
    """The HTTP API and its edge: docs, proxies, allowlists, body size, CORS, headers."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    docs_enabled: bool | None = None  # None: on, except in production
    max_page_size: Annotated[int, Field(ge=1, le=1000)] = 200
    trusted_proxies: Networks = ("127.0.0.1/32", "::1/128")
    admin_allow: Networks = ()
    admin_paths: tuple[Annotated[str, Field(pattern=r"^/")], ...] = DEFAULT_ADMIN_PATHS
    max_body_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024 * 1024)] = 1024 * 1024
    hsts_seconds: Annotated[int, Field(ge=0, le=2 * 365 * 86_400)] = 365 * 86_400
    cors_origins: tuple[Annotated[str, Field(pattern=r"^https?://[^/\s]+$")], ...] = ()
    cors_allow_credentials: bool = False


class LogFormat(enum.StrEnum):
    auto = "auto"  # console on a terminal, JSON otherwise
    json = "json"
    console = "console"


class ObservabilitySettings(_Group):
    """Logs, metrics and the scheduler's metrics endpoint."""

    service_name: Annotated[str, Field(min_length=1, max_length=64)] = "oversight-api"
    log_format: LogFormat = LogFormat.auto
    log_level: Annotated[str, Field(pattern=r"^(?i:debug|info|warning|error|critical)$")] = "info"
    log_file: str | None = None
    log_file_max_bytes: Annotated[int, Field(ge=1024)] = 50 * 1024 * 1024
    log_file_backups: Annotated[int, Field(ge=1, le=100)] = 5
    access_log: bool = True
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None
    metrics_allow: Networks = ()
    business_metrics_ttl_seconds: Annotated[float, Field(ge=0, le=3600)] = 30.0
    multiprocess_dir: str = "var/prometheus-multiproc"
    scheduler_metrics_host: str = "127.0.0.1"
    scheduler_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 9108

    @field_validator("metrics_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value


class SentrySettings(_Group):
    """Error reporting; off unless a DSN is set."""

    dsn: SecretStr | None = None
    traces_sample_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    release: str | None = None

    @field_validator("dsn")
    @classmethod
    def _dsn_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        dsn = value.get_secret_value()
        if not re.match(r"^https?://[^@/]+@[^/]+/\S*\d+$", dsn):
            raise ValueError("not a Sentry DSN (expected https://<key>@<host>/<project id>)")
        return value


class JobsSettings(_Group):
    """The scheduler: `oversight scheduler`."""

    workers: Annotated[int, Field(ge=1, le=32)] = 4
    leader_lock_id: int = 7_265_301
    leader_check_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    database_health_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60.0


class AuditSettings(_Group):
    archive_dir: Path = Path("var/audit-archive")
    retention_years: Annotated[int, Field(ge=1, le=100)] = 7


class AnalyticsSettings(_Group):
    """KPI cache: Redis when `redis_url` is set, this process's memory otherwise."""

    redis_url: SecretStr | None = None  # may carry a password
    cache_ttl_seconds: Annotated[float, Field(gt=0, le=7 * 86_400)] = 3 * 3600.0
    cache_max_entries: Annotated[int, Field(ge=16, le=1_000_000)] = 4096

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        return _redis_url(value)


def _redis_url(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return None
    if value.get_secret_value().partition("://")[0] not in {"redis", "rediss", "unix"}:
        raise ValueError("not a Redis URL (expected redis://host:6379/0)")
    return value


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


class EncryptionSettings(_Group):
    """Field encryption root keys (oversight.security.fieldcrypt), from the environment or a file.

    `keys` is "kid:base64key,kid:base64key"; `key_file` holds the same entries one a line.
    With several keys, `active_key_id` names the one that encrypts; all of them decrypt.
    With none, development and test runs use a well-known development key; production refuses.
    """

    keys: SecretStr | None = None
    key_file: Path | None = None
    active_key_id: str | None = None

    @field_validator("keys")
    @classmethod
    def _keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            parse_keys(value.get_secret_value(), where="")
        except KeyringError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("key_file")
    @classmethod
    def _file_parses(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None or not str(value):
            return None
        if info.data.get("keys") is not None:
            raise ValueError("set this or OVERSIGHT_ENCRYPTION__KEYS, not both")
        try:
            read_key_file(value)
        except KeyringError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("active_key_id")
    @classmethod
    def _among_the_keys(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        keys, key_file = info.data.get("keys"), info.data.get("key_file")
        try:
            if keys is not None:
                known = parse_keys(keys.get_secret_value(), where="")
            elif key_file is not None:
                known = read_key_file(key_file)
            else:
                raise ValueError("set only together with OVERSIGHT_ENCRYPTION__KEYS or __KEY_FILE")
        except KeyringError:
            return value  # the keys themselves are reported as invalid
        if value not in known:
            raise ValueError(f"no key with id {value!r} among the configured keys")
        return value

    @model_validator(mode="after")
    def _active_named(self) -> Self:
        if self.active_key_id is None and self.configured:
            try:
                self.keyring  # noqa: B018 - several keys and none named active fails here
            except KeyringError:
                raise ValueError(
                    "several keys are configured; name the one that encrypts in "
                    "OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID"
                ) from None
        return self

    @property
    def configured(self) -> bool:
        """True when keys were given (not the development default)."""
        return self.keys is not None or self.key_file is not None

    @functools.cached_property
    def keyring(self) -> Keyring:
        """The configured keys, or the development key when none are configured."""
        if self.keys is not None:
            return Keyring.parse(
                self.keys.get_secret_value(),
                active=self.active_key_id,
                where="OVERSIGHT_ENCRYPTION__KEYS",
            )
        if self.key_file is not None:
            return Keyring.from_file(self.key_file, active=self.active_key_id)
        return Keyring({DEVELOPMENT_KEY_ID: DEVELOPMENT_KEY})

    def uses_development_key(self) -> bool:
        keyring = self.keyring
        return any(keyring.key_bytes(kid) == DEVELOPMENT_KEY for kid in keyring.key_ids)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OVERSIGHT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    env: Environment = Environment.development
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    company: CompanySettings = CompanySettings()
    sla: SlaSettings = SlaSettings.model_validate({})
    api: ApiSettings = ApiSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    sentry: SentrySettings = SentrySettings()
    jobs: JobsSettings = JobsSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    audit: AuditSettings = AuditSettings()
    encryption: EncryptionSettings = EncryptionSettings()
    ratelimit: RateLimitSettings = RateLimitSettings.model_validate({})

    @property
    def docs_enabled(self) -> bool:
        """`/docs` and `/openapi.json`: as set, else on except in production."""
        if self.api.docs_enabled is not None:
            return self.api.docs_enabled
        return self.env is not Environment.production

    @property
    def rate_limit_redis_url(self) -> str | None:
        """Where rate limits are counted: their own Redis, else the analytics one, else None
        (this process's memory)."""
        url = self.ratelimit.redis_url or self.analytics.redis_url
        return url.get_secret_value() if url is not None else None

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Self:
        if self.env is Environment.production and (
            DEV_JWT_SECRET in self.auth.signing_keys.values()
            or not (self.auth.jwt_keys or self.auth.jwt_secret)
        ):
            raise ValueError(
                "auth.jwt_secret: the development default is refused in production; "
                "set OVERSIGHT_AUTH__JWT_SECRET (or OVERSIGHT_AUTH__JWT_KEYS)"
            )
        if self.env is Environment.production and (
            not self.encryption.configured or self.encryption.uses_development_key()
        ):
            raise ValueError(
                "encryption: production needs its own field encryption key, not the development "
                "one; set OVERSIGHT_ENCRYPTION__KEYS or OVERSIGHT_ENCRYPTION__KEY_FILE "
                "(`oversight keys generate` makes one)"
            )
        return self


class SettingsError(Exception):
    """A setting is invalid; the message is one line naming the setting."""


_SECRET_SETTINGS = frozenset({"jwt_secret", "keys", "metrics_token", "dsn", "redis_url"})


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the setting as its environment variable."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"] if not str(part).isdigit()]
        name = "OVERSIGHT_" + "__".join(location).upper() if location else "settings"
        message = problem["msg"].removeprefix("Value error, ")
        given = problem.get("input")
        secret = bool(location) and location[-1] in _SECRET_SETTINGS
        if isinstance(given, str | int | float) and problem["type"] != "missing" and not secret:
            message += f" (got {given!r})"
        lines.append(f"invalid setting {name}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; raise SettingsError naming every bad one."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets replaced by '********'."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    if data["auth"]["jwt_secret"] is not None:
        data["auth"]["jwt_secret"] = "********"  # noqa: S105 - the mask itself
    data["auth"]["jwt_keys"] = dict.fromkeys(data["auth"]["jwt_keys"], "********")
    for group, key in (
        ("observability", "metrics_token"),
        ("sentry", "dsn"),
        ("encryption", "keys"),
        ("analytics", "redis_url"),
        ("ratelimit", "redis_url"),
    ):
        if data[group][key] is not None:
            data[group][key] = "********"
    url = make_url(settings.database.url)
    if url.password:
        data["database"]["url"] = url.render_as_string(hide_password=True)
    return data
