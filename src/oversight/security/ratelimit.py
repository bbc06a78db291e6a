"""Moving-window rate limits (the `limits` library) behind a circuit breaker.

Storage is Redis (shared by every worker and host) or this process's memory (one worker
only: each process would count on its own). The moving window counts every request of the
last period exactly, so a client cannot double its rate at a window boundary; a refused
request is not counted.

A storage that fails or answers slowly must not stall the requests that ask it: every call is
bounded by a short timeout, and after a failure the breaker stays open for `breaker_seconds`,
during which the storage is not asked at all and `hit` answers `unavailable` at once. Then a
single request probes it (half-open); the others keep getting `unavailable` until the probe
succeeds. What `unavailable` means — refuse or allow — is the caller's decision.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import limits
import limits.aio.strategies
from limits import RateLimitItem

from oversight.security.network import parse_address
from oversight.security.ratelimit_local import LocalStorage

logger = logging.getLogger("oversight.ratelimit")
KEY_PREFIX = "oversight:ratelimit"


def parse_limits(text: str | None) -> tuple[RateLimitItem, ...]:
    """`10/minute;100/hour` as `limits` items; None or empty: no limit."""
    return tuple(limits.parse_many(text)) if text else ()


@functools.lru_cache(maxsize=8192)  # parsing an address costs more than the count itself
def ip_identity(ip: str | None) -> str:
    """The key of an address: IPv6 counted per /64 (one subscriber's usual allocation)."""
    address = parse_address(ip) if ip else None
    if address is None:
        return f"peer:{ip or 'unknown'}"[:80]
    if address.version == 6:
        return f"{int(address) >> 64:x}::/64"
    return str(address)


def account_identity(name: str) -> str:
    """The key of an account name without storing the name itself."""
    return hashlib.sha256(name.strip().lower().encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds until a refused request may succeed
    unavailable: bool = False  # the storage could not be asked; `allowed` is then False


ALLOWED = Verdict(True)


class RateLimiter:
    """Counts requests per key against moving-window limits; never raises for storage faults.

    `storage_url`: `redis://…`/`rediss://…`/`unix://…`, or None for in-process memory.
    `clock`: seconds since the epoch, read by the in-process counts and for `retry_after`
    (tests pass their own to move time by hand; Redis keeps its own time).
    """

    def __init__(
        self,
        storage_url: str | None,
        *,
        timeout_seconds: float = 0.5,
        breaker_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage_url = storage_url
        self._clock = clock
        self._timeout = timeout_seconds
        self._breaker_seconds = breaker_seconds
        self._open_until = 0.0
        self._failing = False
        self._memory: limits.aio.strategies.MovingWindowRateLimiter | None = None
        self._redis: limits.aio.strategies.MovingWindowRateLimiter | None = None
        self._redis_loop: asyncio.AbstractEventLoop | None = None
        if storage_url is None:
            self._memory = limits.aio.strategies.MovingWindowRateLimiter(LocalStorage(clock))

    @property
    def shared(self) -> bool:
        """True when every process counts in the same place (Redis)."""
        return self.storage_url is not None

    @property
    def breaker_open(self) -> bool:
        return self._failing

    async def hit(self, items: Sequence[RateLimitItem], *key: str) -> Verdict:
        """Count one request for `key` against every item; refused if any is exhausted."""
        if not items:
            return ALLOWED
        if self._memory is not None:
            return await self._hit_all(self._memory, items, key)
        now = time.monotonic()
        if now < self._open_until:
            return Verdict(False, math.ceil(self._open_until - now), unavailable=True)
        if self._failing:  # half-open: this request probes, the others wait for its answer
            self._open_until = now + self._breaker_seconds
        try:
            async with asyncio.timeout(self._timeout * 2):
                verdict = await self._hit_redis(items, key)
        except Exception as error:  # any storage fault opens the breaker
            return self._storage_failed(error)
        if self._failing:
            self._failing = False
            self._open_until = 0.0
            logger.info("rate limiting: storage available again")
        return verdict

    async def warm_up(self) -> None:
        """Open the connection and load the scripts before the first request needs them (a
        failure opens the breaker and is logged, like any other)."""
        if self._memory is None:
            await self.hit(parse_limits("1000/second"), "warm-up")

    async def reset(self) -> int | None:
        """Forget every count held in this process's memory (what a restart does); returns
        the keys forgotten. Shared (Redis) counts are lifted per identity with `forget`."""
        if self._memory is None:
            raise RuntimeError("shared counts are lifted per identity: forget(per, identity)")
        return await self._memory.storage.reset()

    async def forget(self, per: str, identity: str) -> int:
        """Delete what Redis counted for one identity (`per` is ip, user or account) in every
        rule and limit — an administrator lifting a limit. Returns the keys deleted."""
        if self.storage_url is None:
            raise RuntimeError("in-process counts live in the server's memory")
        import redis.asyncio

        # limits names a key LIMITER/<identifiers...>/<amount>/<multiples>/<granularity>.
        pattern = f"{KEY_PREFIX}:LIMITER/*/{per}/{identity}/*"
        client = redis.asyncio.Redis.from_url(
            self.storage_url,
            socket_timeout=self._timeout * 4,
            socket_connect_timeout=self._timeout * 4,
        )
        try:
            keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
            return int(await client.delete(*keys)) if keys else 0
        finally:
            await client.aclose()

    async def _hit_redis(self, items: Sequence[RateLimitItem], key: tuple[str, ...]) -> Verdict:
        return await self._hit_all(self._redis_strategy(), items, key)

    async def _hit_all(
        self,
        strategy: limits.aio.strategies.MovingWindowRateLimiter,
        items: Sequence[RateLimitItem],
        key: tuple[str, ...],
    ) -> Verdict:
        for item in items:
            if not await strategy.hit(item, *key):
                reset_at = (await strategy.get_window_stats(item, *key)).reset_time
                return Verdict(False, max(1, math.ceil(reset_at - self._clock())))
        return ALLOWED

    def _redis_strategy(self) -> limits.aio.strategies.MovingWindowRateLimiter:
        # An asyncio Redis connection belongs to the event loop that opened it: one client
        # per loop (a server has one loop per worker; tests may run several in turn).
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis_loop is not loop:
            assert self.storage_url is not None
            self._redis = limits.aio.strategies.MovingWindowRateLimiter(
                _redis_storage(self.storage_url, self._timeout)
            )
            self._redis_loop = loop
        return self._redis

    def _storage_failed(self, error: Exception) -> Verdict:
        self._open_until = time.monotonic() + self._breaker_seconds
        if not self._failing:
            self._failing = True
            logger.warning(
                "rate limiting: storage unavailable (%s); not asked again for %.0f s",
                type(error).__name__,
                self._breaker_seconds,
            )
        return Verdict(False, math.ceil(self._breaker_seconds), unavailable=True)


def _redis_storage(url: str, timeout: float) -> Any:
    from limits.aio.storage import RedisStorage
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    scheme, _, rest = url.partition("://")
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        # No retries: the breaker, not the client, decides when to try again.
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }
    return RedisStorage(
        f"async+{'redis+unix' if scheme == 'unix' else scheme}://{rest}",
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        **options,
    )
