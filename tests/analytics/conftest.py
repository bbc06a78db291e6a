"""Fixtures of the analytics tests: the hand-built March of `analytics_march`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from analytics_march import March, build_march


@pytest.fixture
def march(session: Session) -> March:
    return build_march(session)
