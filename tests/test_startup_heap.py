"""The app freezes its start-up heap once (oversight.kit.memory): a full collection no longer
walks the objects that live as long as the process."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from oversight.kit.memory import freeze_startup_heap


def test_a_started_app_has_frozen_its_startup_heap(app):
    with TestClient(app):
        frozen = gc.get_freeze_count()
    assert frozen > 10_000  # modules, mappers, the route table: far more than this
    before = gc.get_freeze_count()
    assert freeze_startup_heap() > 10_000  # what the first call froze
    assert gc.get_freeze_count() <= before  # once per process: no new freeze (some since freed)
