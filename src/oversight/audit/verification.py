"""`oversight audit verify`: walk the archives, then the hot table, and report the first
broken link — or that the chain is intact up to the recorded head and passes through every
known checkpoint."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from oversight.audit import chain
from oversight.audit.archive import archive_files, archived_events
from oversight.audit.models import GENESIS_HASH, AuditEvent


def verify_chain(
    connection: Connection,
    archive_dir: Path | None = None,
    *,
    checkpoints: Sequence[chain.ChainHead] = (),
    since: chain.ChainHead | None = None,
) -> chain.Verification:
    """Verify every archived and stored event against the recorded chain head and the
    `checkpoints` (position, hash) published outside the database.

    With `since` (a checkpoint already verified), only the events after it are walked, from
    the table, provided the table still holds `since`'s event with its hash; otherwise (it was
    archived, or it differs) the whole chain is walked, which reports the difference.
    """
    if since is not None:
        found = connection.execute(
            select(AuditEvent.hash).where(AuditEvent.id == since.last_id)
        ).scalar()
        if found == since.last_hash:
            stored = chain.stored_events(connection, after_id=since.last_id)
            return _walk(connection, stored, since, checkpoints)
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
    return _walk(connection, itertools.chain.from_iterable(streams), start, checkpoints)


def _walk(
    connection: Connection,
    events: Iterator[tuple[Any, ...]],
    start: chain.ChainHead,
    checkpoints: Sequence[chain.ChainHead],
) -> chain.Verification:
    head = chain.read_head(connection)
    result = chain.verify_events(events, start=start, expected_head=head, checkpoints=checkpoints)
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
    ), result.checkpoints_checked)  # fmt: skip


def locate(connection: Connection, digest: str, archive_dir: Path | None) -> chain.ChainHead | None:
    """The position of the event whose hash is `digest`, in the table or the archives."""
    found = connection.execute(select(AuditEvent.id).where(AuditEvent.hash == digest)).scalar()
    if found is not None:
        return chain.ChainHead(int(found), digest)
    for archive in archive_files(archive_dir):
        for event in archived_events(archive):
            if event[-1] == digest:
                return chain.ChainHead(int(event[0]), digest)
    return None
