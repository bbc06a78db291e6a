"""Logs, metrics and error reporting: `OVERSIGHT_OBSERVABILITY__*`, `OVERSIGHT_SENTRY__*`."""

from __future__ import annotations

import enum
import re
from typing import Annotated

from pydantic import Field, SecretStr, field_validator

from oversight.config.base import Networks, _Group


class LogFormat(enum.StrEnum):
    auto = "auto"  # console on a terminal, JSON otherwise
    json = "json"
    console = "console"


LOOPBACK = ("127.0.0.0/8", "::1/128")


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
    business_money_metrics: bool = False
    """Publish money figures (overdue invoice amounts) on /metrics; off unless enabled."""
    business_metrics_ttl_seconds: Annotated[float, Field(ge=0, le=3600)] = 30.0
    multiprocess_dir: str = "var/prometheus-multiproc"
    scheduler_metrics_host: str = "127.0.0.1"
    scheduler_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 9108

    @property
    def metrics_networks(self) -> tuple[str, ...]:
        """Who may scrape /metrics: the allowlist as set; with neither an allowlist nor a
        token, loopback only (a local Prometheus works without set-up, nobody else does)."""
        if self.metrics_allow or self.metrics_token is not None:
            return self.metrics_allow
        return LOOPBACK

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
