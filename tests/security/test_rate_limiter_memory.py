"""The in-process moving window (a real clock: each window is one second or one minute)."""

from __future__ import annotations

import asyncio
import time

from oversight.security.rate_limiter import RateLimiter, parse_limits


def test_the_window_moves_instead_of_resetting():
    async def scenario() -> list[bool]:
        limiter = RateLimiter(None)
        items = parse_limits("2/second")
        allowed = [(await limiter.hit(items, "k")).allowed for _ in range(3)]
        time.sleep(1.05)
        allowed.append((await limiter.hit(items, "k")).allowed)
        return allowed

    assert asyncio.run(scenario()) == [True, True, False, True]


def test_a_refusal_names_when_to_retry_and_is_not_counted():
    async def scenario():
        limiter = RateLimiter(None)
        items = parse_limits("1/minute")
        await limiter.hit(items, "k")
        refused = [await limiter.hit(items, "k") for _ in range(3)]
        other = await limiter.hit(items, "other")
        return refused, other

    refused, other = asyncio.run(scenario())
    assert all(not verdict.allowed and not verdict.unavailable for verdict in refused)
    assert all(55 <= verdict.retry_after <= 60 for verdict in refused)
    assert other.allowed


def test_every_limit_of_a_rule_must_allow():
    async def scenario() -> list[bool]:
        limiter = RateLimiter(None)
        items = parse_limits("5/minute;2/hour")
        return [(await limiter.hit(items, "k")).allowed for _ in range(3)]

    assert asyncio.run(scenario()) == [True, True, False]
