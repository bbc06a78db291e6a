"""The hash chain: canonical form, appending under a lock, and verification.

    hash = SHA-256(prev_hash || canonical JSON of the event)

Appends are serialised (a transaction-level advisory lock on PostgreSQL; SQLite has a single
writer), so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from oversight.audit.errors import AuditChainInconsistent
from oversight.audit.metrics import refused
from oversight.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

# Any constant 64-bit key that no other advisory lock of Oversight uses.
CHAIN_LOCK_KEY = 0x4F5653_41554454  # "OVS" "AUDT"

HASHED_FIELDS = (
    "id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_name",
    "actor_role",
    "client_ip",
    "user_agent",
    "request_id",
    "action",
    "entity_type",
    "entity_id",
    "changes",
    "reason",
)


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


STORED_FIELDS = (*HASHED_FIELDS, "prev_hash", "hash")
_PREV, _HASH = len(HASHED_FIELDS), len(HASHED_FIELDS) + 1


def link_hash(prev_hash: str, values: Sequence[Any]) -> str:
    """SHA-256 over the previous hash and the event's hashed fields as a JSON array in
    HASHED_FIELDS order, encoded by orjson (occurred_at in its RFC 3339 form)."""
    return hashlib.sha256(prev_hash.encode("ascii") + orjson.dumps(values)).hexdigest()


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    return link_hash(prev_hash, [event[field] for field in HASHED_FIELDS])


def render_instant(value: datetime) -> str:
    """A timestamp exactly as it is hashed; archives store this form."""
    return orjson.dumps(value)[1:-1].decode("ascii")


@dataclass(frozen=True, slots=True)
class ChainHead:
    last_id: int
    last_hash: str


def lock_chain(connection: Connection) -> None:
    """Hold the chain for the rest of this transaction (PostgreSQL; SQLite writes serially)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def read_head(connection: Connection) -> ChainHead:
    row = connection.execute(
        select(AuditChainHead.last_id, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
    ).first()
    return ChainHead(0, GENESIS_HASH) if row is None else ChainHead(row[0], row[1])


def append(connection: Connection, events: Iterable[dict[str, Any]]) -> ChainHead:
    """Link `events` (dicts of the hashed fields, without id/hashes) onto the chain and insert
    them, in the caller's transaction. Returns the new head."""
    lock_chain(connection)
    head = read_head(connection)
    rows = []
    last_id, last_hash = head.last_id, head.last_hash
    for event in events:
        last_id += 1
        row = {**event, "id": last_id, "prev_hash": last_hash}
        row["hash"] = last_hash = event_hash(last_hash, row)
        rows.append(row)
    if not rows:
        return head
    try:
        connection.execute(insert(AuditEvent), rows)
    except IntegrityError as error:
        # The position after the recorded head (or a hash) is taken: rows were added without
        # moving the head. Appending elsewhere would fork the chain, so the write is refused.
        refused(head.last_id + 1)
        raise AuditChainInconsistent(head.last_id + 1) from error
    new_head = ChainHead(last_id, last_hash)
    if head.last_id == 0 and head.last_hash == GENESIS_HASH:
        exists = connection.execute(select(AuditChainHead.id)).first() is not None
        if not exists:
            connection.execute(
                insert(AuditChainHead).values(id=1, last_id=last_id, last_hash=last_hash)
            )
            return new_head
    connection.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_id=last_id, last_hash=last_hash)
    )
    return new_head


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link: which event, what was expected there, what was found."""

    event_id: int | None
    problem: str
    expected: str
    found: str

    def describe(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "chain head"
        return f"{where}: {self.problem} (expected {self.expected}, found {self.found})"


@dataclass(frozen=True, slots=True)
class Verification:
    events_checked: int
    last_id: int
    last_hash: str
    broken: Break | None
    checkpoints_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_events(
    events: Iterable[Sequence[Any]],
    *,
    start: ChainHead = ChainHead(0, GENESIS_HASH),
    expected_head: ChainHead | None = None,
    checkpoints: Sequence[ChainHead] = (),
) -> Verification:
    """Walk `events` (tuples in STORED_FIELDS order) from `start`; stop at the first broken link.

    Detects an edited field (hash mismatch), a removed or reordered row (id gap or prev_hash
    mismatch), a truncated tail (the walk ends before `expected_head`) and a chain that does
    not pass through `expected_head`. Events after the expected head are checked link by link
    (they were appended while the walk ran); `verify_chain` then re-reads the head to tell
    those from rows the head does not account for.

    `checkpoints` (position, hash) were published outside the database: the chain must hold
    exactly that hash at each position, which a rewrite that recomputes every later hash (and
    the head) cannot fake, and it must reach every checkpoint's position. Checkpoints before
    `start` (in purged archives) cannot be checked and are skipped.
    """
    previous_id, previous_hash, checked = start.last_id, start.last_hash, 0
    head_id = None if expected_head is None else expected_head.last_id
    head_hash = None if expected_head is None else expected_head.last_hash
    marks = sorted((c for c in checkpoints if c.last_id > start.last_id), key=lambda c: c.last_id)
    passed, pending = 0, 0
    next_mark = marks[0].last_id if marks else -1
    sha256, dumps = hashlib.sha256, orjson.dumps  # link_hash, inlined: this is the hot loop
    for event in events:
        event_id = int(event[0])
        if event_id != previous_id + 1:
            return Verification(checked, previous_id, previous_hash, Break(
                event_id, "missing or reordered events", f"id {previous_id + 1}", f"id {event_id}"
            ), passed)  # fmt: skip
        if event[_PREV] != previous_hash:
            return Verification(checked, previous_id, previous_hash, Break(
                event_id, "link to the previous event broken", previous_hash, event[_PREV]
            ), passed)  # fmt: skip
        recomputed = sha256(previous_hash.encode("ascii") + dumps(event[:_PREV])).hexdigest()
        if recomputed != event[_HASH]:
            return Verification(checked, previous_id, previous_hash, Break(
                event_id, "event content changed since it was written", recomputed, event[_HASH]
            ), passed)  # fmt: skip
        if event_id == head_id and event[_HASH] != head_hash:
            return Verification(checked, previous_id, previous_hash, Break(
                event_id, "the recorded chain head names another hash for this event",
                str(head_hash), event[_HASH],
            ), passed)  # fmt: skip
        while event_id == next_mark:
            mark = marks[pending]
            if event[_HASH] != mark.last_hash:
                return Verification(checked, previous_id, previous_hash, Break(
                    event_id, "the chain does not pass through a published checkpoint "
                    "(history before it was rewritten)", mark.last_hash, event[_HASH],
                ), passed)  # fmt: skip
            passed, pending = passed + 1, pending + 1
            next_mark = marks[pending].last_id if pending < len(marks) else -1
        previous_id, previous_hash = event_id, event[_HASH]
        checked += 1
    if pending < len(marks):
        mark = marks[pending]
        return Verification(checked, previous_id, previous_hash, Break(
            None, "the chain ends before a published checkpoint: events up to it are missing",
            f"event {mark.last_id} ({mark.last_hash})",
            f"last event {previous_id} ({previous_hash})",
        ), passed)  # fmt: skip
    if expected_head is not None and previous_id < expected_head.last_id:
        return Verification(checked, previous_id, previous_hash, Break(
            None, "the chain ends early: events after the last one found are missing",
            f"last event {expected_head.last_id} ({expected_head.last_hash})",
            f"last event {previous_id} ({previous_hash})",
        ), passed)  # fmt: skip
    return Verification(checked, previous_id, previous_hash, None, passed)


def stored_events(
    connection: Connection, *, after_id: int = 0, batch: int = 10_000
) -> Iterator[tuple[Any, ...]]:
    """Every stored event with id > after_id, in chain order, as STORED_FIELDS tuples read
    in keyset batches.

    The walk is the hot loop of `audit verify`, so it reads through the driver's own cursor
    (no ORM rows, no per-row type conversion), and on PostgreSQL the next batch is fetched on
    a second thread while this one is hashed (psycopg releases the GIL while it waits for the
    server). `occurred_at` comes back in a form that hashes like the aware datetime it was
    written as: on PostgreSQL a datetime in the transaction's time zone, set to UTC here
    (orjson renders it `...+00:00`); on SQLite the stored text, rewritten by
    `_sqlite_instant` into that same rendering.
    """
    batches = _stored_batches(connection, after_id=after_id, batch=batch)
    if connection.dialect.name != "postgresql":  # sqlite3 holds the GIL: nothing to overlap
        try:
            for rows in batches:
                yield from rows
        finally:
            batches.close()
        return
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-walk") as pool:
            pending = pool.submit(next, batches, None)
            while (fetched := pending.result()) is not None:
                pending = pool.submit(next, batches, None)
                yield from fetched
    finally:
        batches.close()


# The verify walk's statements, with `{mark}` for the driver's placeholder.
WALK_SQL = (
    f"SELECT {', '.join(STORED_FIELDS)} FROM {AuditEvent.__tablename__}"  # noqa: S608 - constants
    " WHERE id > {mark} AND id <= {mark} ORDER BY id"
)
FOLLOWING_SQL = f"SELECT min(id) FROM {AuditEvent.__tablename__} WHERE id > {{mark}}"  # noqa: S608


def _stored_batches(
    connection: Connection, *, after_id: int, batch: int
) -> Generator[list[tuple[Any, ...]]]:
    """Batches of at most `batch` consecutive ids (`id > last AND id <= last + batch`).

    A bounded id range is read through the primary key whatever the table's statistics say;
    `id > last ... LIMIT n` alone is planned as a scan and sort of the whole table when the
    statistics are missing or stale (a freshly filled or restored table), once per batch.
    An empty range is not the end: the walk jumps to the next stored id, so events after a
    gap are still read (and `verify_events` reports the gap).
    """
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    query, following = WALK_SQL.format(mark=mark), FOLLOWING_SQL.format(mark=mark)
    postgres = dialect.name == "postgresql"
    if postgres:
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        last = after_id
        while True:
            cursor.execute(query, (last, last + batch))
            rows: list[tuple[Any, ...]] = list(cursor.fetchall())
            if not rows:
                cursor.execute(following, (last,))
                found = cursor.fetchone()[0]  # type: ignore[index]  # an aggregate: one row
                if found is None:
                    return
                last = int(found) - 1
                continue
            last = rows[-1][0]
            if postgres:
                yield rows
            else:
                yield [(row[0], _sqlite_instant(row[1]), *row[2:]) for row in rows]
    finally:
        cursor.close()


def _sqlite_instant(stored: str) -> str:
    """SQLite's stored `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) as orjson renders the datetime."""
    fraction = stored[20:26]
    if fraction and fraction != "000000":
        return f"{stored[:10]}T{stored[11:19]}.{fraction}+00:00"
    return f"{stored[:10]}T{stored[11:19]}+00:00"
