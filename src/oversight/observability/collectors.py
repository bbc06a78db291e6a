"""Scrape-time Prometheus collectors whose figures come from the database, with a short cache.

A subclass says what to compute (`compute`); `CachedCollector` runs it at most once per TTL,
however often (and from however many threads) Prometheus scrapes, and survives a failing
database: the failure is logged and the collector exports nothing until the TTL has passed,
so a database in trouble is asked once per TTL, not once per scrape.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

from prometheus_client.core import Metric
from sqlalchemy.exc import SQLAlchemyError

from oversight.observability.logging import get_logger

log = get_logger("oversight.metrics")


class CachedCollector(ABC):
    """A prometheus_client collector: `collect()` serves the metric families of the last
    `compute()`, recomputed when `ttl_seconds` have passed since it finished (0: every scrape).

    If `compute()` raises a SQLAlchemy error, `failure_event` is logged as a warning with the
    error's class name (never its message, which may quote data), and nothing is exported until
    the TTL has passed. Any other exception propagates and the next scrape computes again.
    `clock` is a monotonic clock in seconds (injectable for tests).
    """

    def __init__(
        self,
        ttl_seconds: float,
        *,
        failure_event: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._failure_event = failure_event
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._expires = float("-inf")

    @abstractmethod
    def compute(self) -> list[Metric]:
        """The metric families, freshly computed (called under the collector's lock)."""

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if self._clock() >= self._expires:
                try:
                    self._cached = self.compute()
                except SQLAlchemyError as error:
                    log.warning(self._failure_event, error=type(error).__name__)
                    self._cached = []
                self._expires = self._clock() + self._ttl
            cached = list(self._cached)
        yield from cached
