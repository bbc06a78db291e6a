"""The in-process moving window, on a clock the test moves by hand (no sleeping)."""

from __future__ import annotations

import asyncio

from oversight.security.ratelimit import RateLimiter, parse_limits


class ManualClock:
    """Seconds since the epoch that move only when the test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_the_window_moves_instead_of_resetting():
    clock = ManualClock()

    async def scenario() -> list[bool]:
        limiter = RateLimiter(None, clock=clock)
        items = parse_limits("2/minute")
        allowed = [(await limiter.hit(items, "k")).allowed]
        clock.advance(30)
        allowed += [(await limiter.hit(items, "k")).allowed for _ in range(2)]
        clock.advance(30.5)  # the first hit has left the window, the second has not
        allowed += [(await limiter.hit(items, "k")).allowed for _ in range(2)]
        return allowed

    assert asyncio.run(scenario()) == [True, True, False, True, False]


def test_a_refusal_names_when_to_retry_and_is_not_counted():
    clock = ManualClock()

    async def scenario():
        limiter = RateLimiter(None, clock=clock)
        items = parse_limits("1/minute")
        await limiter.hit(items, "k")
        clock.advance(15)
        refused = [await limiter.hit(items, "k") for _ in range(3)]
        other = await limiter.hit(items, "other")
        clock.advance(45)
        again = await limiter.hit(items, "k")
        return refused, other, again

    refused, other, again = asyncio.run(scenario())
    assert all(not verdict.allowed and not verdict.unavailable for verdict in refused)
    assert [verdict.retry_after for verdict in refused] == [45, 45, 45]
    assert other.allowed
    assert again.allowed  # the refusals were not counted: the window is empty again


def test_every_limit_of_a_rule_must_allow():
    async def scenario() -> list[bool]:
        limiter = RateLimiter(None, clock=ManualClock())
        items = parse_limits("5/minute;2/hour")
        return [(await limiter.hit(items, "k")).allowed for _ in range(3)]

    assert asyncio.run(scenario()) == [True, True, False]


def test_idle_keys_are_swept_once_their_window_has_passed():
    clock = ManualClock()

    async def scenario() -> int | None:
        limiter = RateLimiter(None, clock=clock)
        await limiter.hit(parse_limits("3/second"), "idle")
        clock.advance(61)  # past the sweep interval: the next hit sweeps the idle key
        await limiter.hit(parse_limits("3/second"), "busy")
        return await limiter.reset()

    assert asyncio.run(scenario()) == 1  # only "busy" was still held
