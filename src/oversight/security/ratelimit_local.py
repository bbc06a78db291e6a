"""The moving window in this process's memory, for a single worker.

limits' own memory storages expire their entries in the background — the threaded one starts
a timer thread every 10 ms of traffic (each start blocks the event loop until the thread
runs, which under load costs more than the request), the asyncio one hops to a thread per
key. Here each key's acquisition times sit in a deque, oldest first, pruned when the key is
used; keys left idle are swept inline at most once a minute. Plugged into limits' own
moving-window strategy through its storage interface.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from limits.aio.storage import MovingWindowSupport, Storage

_SWEEP_SECONDS = 60.0


class LocalStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = None

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        """`clock`: seconds since the epoch (tests pass their own to move time by hand)."""
        super().__init__()
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._windows: dict[str, float] = {}
        self._next_sweep = clock() + _SWEEP_SECONDS

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        if amount > limit:
            return False
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
            self._windows[key] = expiry
        self._prune(events, now - expiry)
        if len(events) + amount > limit:
            return False
        events.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(the oldest acquisition inside the window, how many there are)."""
        now = self._clock()
        events = self._events.get(key)
        if not events:
            return now, 0
        self._prune(events, now - expiry)
        return (events[0], len(events)) if events else (now, 0)

    @staticmethod
    def _prune(events: deque[float], cutoff: float) -> None:
        while events and events[0] <= cutoff:
            events.popleft()

    def _sweep(self, now: float) -> None:
        for key in list(self._events):
            events = self._events[key]
            if not events or events[-1] <= now - self._windows[key]:
                del self._events[key], self._windows[key]
        self._next_sweep = now + _SWEEP_SECONDS

    async def clear(self, key: str) -> None:
        self._events.pop(key, None)
        self._windows.pop(key, None)

    async def reset(self) -> int | None:
        count = len(self._events)
        self._events.clear()
        self._windows.clear()
        return count

    async def check(self) -> bool:
        return True

    # Counters serve the fixed-window strategies, which Oversight does not use.
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("LocalStorage serves the moving window only")

    async def get(self, key: str) -> int:
        raise NotImplementedError("LocalStorage serves the moving window only")

    async def get_expiry(self, key: str) -> float:
        raise NotImplementedError("LocalStorage serves the moving window only")
