"""Where computed KPIs are kept: Redis when configured, else this process's memory.

Redis holds JSON text; memory holds the answers themselves; both expire them after the TTL.
A Redis that cannot be reached is not an error for analytics: the read or write is skipped
(the KPI is computed), and the outage is logged once until Redis answers again.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import TypeVar

from cachetools import TTLCache
from pydantic import BaseModel, ValidationError

from oversight.config import AnalyticsSettings

logger = logging.getLogger("oversight.analytics.cache")
M = TypeVar("M", bound=BaseModel)


class KpiCache(ABC):
    """KPI answers (pydantic models) by key, with expiry."""

    @abstractmethod
    def load(self, key: str, schema: type[M]) -> M | None:
        """The answer stored under `key`, or None (missing, expired or unreachable)."""

    @abstractmethod
    def store(self, key: str, value: BaseModel) -> None:
        """Keep `value` under `key` for the backend's TTL; failures are swallowed."""


class MemoryCache(KpiCache):
    """Keeps the (frozen) answers themselves: a warm read costs no parsing."""

    def __init__(self, *, ttl_seconds: float, max_entries: int) -> None:
        self._entries: TTLCache[str, BaseModel] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)
        self._lock = threading.Lock()

    def load(self, key: str, schema: type[M]) -> M | None:
        with self._lock:
            value = self._entries.get(key)
        return value if isinstance(value, schema) else None

    def store(self, key: str, value: BaseModel) -> None:
        with self._lock:
            self._entries[key] = value


class RedisCache(KpiCache):
    """redis-py with short socket timeouts, so an outage costs milliseconds, not seconds."""

    def __init__(self, url: str, *, ttl_seconds: float, prefix: str = "oversight:kpi:") -> None:
        import redis

        self._redis = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True
        )
        self._error = redis.RedisError
        self._ttl = max(1, int(ttl_seconds))
        self._prefix = prefix
        self._down = False
        self._lock = threading.Lock()

    def load(self, key: str, schema: type[M]) -> M | None:
        try:
            value = self._redis.get(self._prefix + key)
        except self._error as error:
            self._note_down(error)
            return None
        self._note_up()
        if not isinstance(value, str):
            return None
        try:
            return schema.model_validate_json(value)
        except ValidationError:
            # stored by a release whose schema differed: a miss, recomputed and replaced
            return None

    def store(self, key: str, value: BaseModel) -> None:
        try:
            self._redis.set(self._prefix + key, value.model_dump_json(), ex=self._ttl)
        except self._error as error:
            self._note_down(error)
            return
        self._note_up()

    def _note_down(self, error: Exception) -> None:
        with self._lock:
            if self._down:
                return
            self._down = True
        logger.warning(
            "analytics cache: Redis unavailable, computing KPIs without cache (%s)",
            type(error).__name__,
        )

    def _note_up(self) -> None:
        if self._down:
            with self._lock:
                self._down = False
            logger.info("analytics cache: Redis available again")


def make_cache(settings: AnalyticsSettings) -> KpiCache:
    if settings.redis_url:
        return RedisCache(
            settings.redis_url.get_secret_value(), ttl_seconds=settings.cache_ttl_seconds
        )
    return MemoryCache(
        ttl_seconds=settings.cache_ttl_seconds, max_entries=settings.cache_max_entries
    )
