"""The process's heap after start-up: what a full garbage collection need not walk again."""

from __future__ import annotations

import gc
import threading

_frozen = threading.Event()
_count = 0


def freeze_startup_heap() -> int:
    """Collect once, then move every object alive now (modules, classes, the ORM mappers,
    the route table, compiled schemas: hundreds of thousands of objects that live as long
    as the process) into the collector's permanent generation; returns how many the first
    call froze.

    CPython's cyclic collector walks every tracked object in a full (generation 2)
    collection. Without this, a full collection that a burst of allocation triggers — a KPI
    summary loading thousands of rows, say — walks the whole start-up heap again: measured
    at 0.7-0.9 s of a cold summary on the 100k-request database, 4-14 ms after the freeze
    (benchmarks/analytics_bench.py). Frozen objects are still freed by reference counting;
    only cycles among them would outlive the process, and start-up objects live that long
    anyway. Call it once an entry point has built everything it will keep (the app after
    its route table); only the first call in a process collects and freezes (a process that
    starts several apps, the tests, pays the collection once)."""
    global _count
    if not _frozen.is_set():
        _frozen.set()
        gc.collect()
        gc.freeze()
        # Counted once: gc.get_freeze_count() walks the whole permanent generation (~30 ms on
        # a test process), which every later call would pay again for nothing.
        _count = gc.get_freeze_count()
    return _count
