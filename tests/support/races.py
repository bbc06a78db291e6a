"""Several threads doing the same thing at the same moment, each in its own transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from oversight.db.session import session_factory, unit_of_work


def race(engine: Engine, count: int, work: Callable[[Session], Any]) -> list[Any]:
    """Run `work` in `count` threads released together by a barrier, each in a unit of work
    of its own (committed on success, rolled back on error); each result or exception."""
    factory = session_factory(engine)
    barrier = threading.Barrier(count)

    def one() -> Any:
        try:
            with unit_of_work(factory) as session:
                barrier.wait(timeout=30)
                return work(session)
        except Exception as error:  # the outcome is the result
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: one(), range(count)))
