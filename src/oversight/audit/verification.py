"""`oversight audit verify`: walk the archives, then the hot table, and report the first
broken link — or that the chain is intact up to the recorded head."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from oversight.audit import chain
from oversight.audit.archive import archive_files, archived_events
from oversight.audit.models import GENESIS_HASH, AuditEvent


def verify_chain(connection: Connection, archive_dir: Path | None = None) -> chain.Verification:
    """Verify every archived and stored event against the recorded chain head."""
    archives = archive_files(archive_dir)
    if archives:
        # Archives older than the retention period may have been purged: the walk then
        # starts from the boundary hash recorded in the oldest archive that remains.
        start = chain.ChainHead(archives[0].first_id - 1, archives[0].prev_hash)
    else:
        start = chain.ChainHead(0, GENESIS_HASH)
        first = connection.execute(select(func.min(AuditEvent.id))).scalar()
        if first not in (None, 1):
            return chain.Verification(0, 0, GENESIS_HASH, chain.Break(
                first, "events before this one are missing and no archive holds them",
                "id 1", f"id {first}",
            ))  # fmt: skip
    streams: list[Iterator[tuple[Any, ...]]] = [archived_events(a) for a in archives]
    streams.append(
        chain.stored_events(connection, after_id=archives[-1].last_id if archives else 0)
    )
    head = chain.read_head(connection)
    events = itertools.chain.from_iterable(streams)
    result = chain.verify_events(events, start=start, expected_head=head)
    if not result.ok or result.last_id == head.last_id:
        return result
    # The walk went past the head read before it: events appended meanwhile, which the head
    # now accounts for — or rows somebody added without moving the head.
    now = chain.read_head(connection)
    if now.last_id >= result.last_id:
        return result
    return chain.Verification(result.events_checked, result.last_id, result.last_hash, chain.Break(
        now.last_id + 1, "events after the recorded chain head",
        f"last event {now.last_id} ({now.last_hash})",
        f"last event {result.last_id} ({result.last_hash})",
    ))  # fmt: skip
