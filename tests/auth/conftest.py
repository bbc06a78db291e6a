"""Fixtures of the auth tests: a movable 2FA clock and a helper that reads secrets and enrols."""

from __future__ import annotations

import pytest

from logins import StepClock, TwoFactor


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StepClock:
    return StepClock().install(monkeypatch)


@pytest.fixture
def tf(session, settings, clock) -> TwoFactor:  # type: ignore[no-untyped-def]
    return TwoFactor(session, settings, clock)
