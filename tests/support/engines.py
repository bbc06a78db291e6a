"""Which database engines a test module runs on.

Every test that takes the `backend` fixture runs on SQLite and PostgreSQL. A module whose
behaviour does not depend on the engine — the HTTP edge (rate limits, allowlists, headers,
body limits), the bot's conversation layer, forwarded-address and crafted-token handling —
declares `pytestmark = EMBEDDED_ONLY` and runs on SQLite, the embedded default, alone: the
service functions and repositories those modules call are tested on both engines in their
own packages. tests/conftest.py deselects the PostgreSQL copies of such tests (their
fixtures are never built); `OVERSIGHT_ALL_ENGINES=1` runs them on both engines too.
"""

from __future__ import annotations

import os

import pytest

EMBEDDED_ONLY = pytest.mark.embedded_only


def runs_on_one_engine() -> bool:
    return not os.environ.get("OVERSIGHT_ALL_ENGINES")


def deselected(item: pytest.Item) -> bool:
    """A PostgreSQL copy of a test whose module runs on the embedded engine only."""
    callspec = getattr(item, "callspec", None)
    return (
        runs_on_one_engine()
        and item.get_closest_marker("embedded_only") is not None
        and callspec is not None
        and callspec.params.get("backend") == "postgresql"
    )
