"""The KPI cache: `OVERSIGHT_ANALYTICS__*`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator

from oversight.config.base import _Group, _redis_url


class AnalyticsSettings(_Group):
    """KPI cache: Redis when `redis_url` is set, this process's memory otherwise."""

    redis_url: SecretStr | None = None  # may carry a password
    cache_ttl_seconds: Annotated[float, Field(gt=0, le=7 * 86_400)] = 3 * 3600.0
    cache_max_entries: Annotated[int, Field(ge=16, le=1_000_000)] = 4096

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        return _redis_url(value)
