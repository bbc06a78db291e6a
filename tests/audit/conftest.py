"""A fresh, committed database per test for the `oversight audit` commands."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from forgery import trail_event
from oversight.audit import chain
from oversight.config import get_settings
from oversight.config.local import take_announcements
from oversight.db.migrate import upgrade
from oversight.kit.clock import utcnow
from oversight.wiring import open_database


@pytest.fixture
def cli_db(monkeypatch, backend, database_url_factory, tmp_path):
    """A migrated database with twelve events (January, February, now), the CLI's settings
    pointing at it, archives and checkpoints in the test's folder."""
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    url = database_url_factory(backend)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", url)
    monkeypatch.setenv("OVERSIGHT_AUDIT__ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("OVERSIGHT_AUDIT__CHECKPOINT_FILE", str(tmp_path / "anchor" / "cp.jsonl"))
    get_settings.cache_clear()
    engine = open_database(get_settings())
    take_announcements()  # the development keys made above in tmp_path/var: not the CLI's to say
    upgrade(engine)
    with engine.begin() as connection:
        events = [trail_event(datetime(2026, 1, 10, tzinfo=UTC) + timedelta(hours=n), n)
                  for n in range(5)]  # fmt: skip
        events += [trail_event(datetime(2026, 2, 10, tzinfo=UTC) + timedelta(hours=n), 5 + n)
                   for n in range(4)]  # fmt: skip
        events += [trail_event(utcnow(), 9 + n) for n in range(3)]
        chain.append(connection, events)
    yield engine
    engine.dispose()
    get_settings.cache_clear()
