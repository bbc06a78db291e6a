"""Tamper evidence: the database refuses edits, and `verify` detects what an attacker with
full database rights does anyway (edit, delete, reorder, truncate) — each done here in SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from builders import make_customer
from forgery import append_past_head, disable_guards
from oversight.audit import chain
from oversight.audit.verification import verify_chain


@pytest.fixture
def trail(session):
    """A few events on a chain of its own, committed into the test's transaction."""
    for n in range(6):
        make_customer(session, name=f"Chained {n}")
    session.flush()
    return session.connection()


def _ids(connection) -> list[int]:
    return [row[0] for row in connection.execute(text("SELECT id FROM audit_events ORDER BY id"))]


def test_intact_chain_verifies(trail):
    result = verify_chain(trail)
    assert result.ok, result.broken
    assert result.events_checked == len(_ids(trail))
    assert result.last_hash == chain.read_head(trail).last_hash


def test_update_is_refused_by_the_database(trail):
    with pytest.raises(DBAPIError, match="append-only"), trail.begin_nested():
        trail.execute(text("UPDATE audit_events SET action = 'nothing' WHERE id = 1"))


def test_delete_is_refused_by_the_database(trail):
    with pytest.raises(DBAPIError, match="append-only"), trail.begin_nested():
        trail.execute(text("DELETE FROM audit_events WHERE id = 1"))


def test_truncate_is_refused_on_postgresql(trail):
    if trail.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    with pytest.raises(DBAPIError, match="append-only"), trail.begin_nested():
        trail.execute(text("TRUNCATE audit_events"))


def test_edited_field_is_detected_at_that_event(trail):
    disable_guards(trail)
    victim = _ids(trail)[2]
    trail.execute(
        text("UPDATE audit_events SET actor_name = 'someone else' WHERE id = :id"), {"id": victim}
    )
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id == victim
    assert "content changed" in result.broken.problem


def test_deleted_row_is_detected(trail):
    disable_guards(trail)
    victim = _ids(trail)[3]
    trail.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": victim})
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id == victim + 1
    assert result.broken.expected == f"id {victim}"


def test_reordered_rows_are_detected(trail):
    disable_guards(trail)
    first, second = _ids(trail)[1:3]
    swap = "UPDATE audit_events SET id = :new WHERE id = :old"
    trail.execute(text(swap), {"old": first, "new": -1})
    trail.execute(text(swap), {"old": second, "new": first})
    trail.execute(text(swap), {"old": -1, "new": second})
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id == first


def test_truncated_tail_is_detected(trail):
    disable_guards(trail)
    ids = _ids(trail)
    trail.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": ids[-2]})
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id is None
    assert "ends early" in result.broken.problem
    assert str(ids[-1]) in result.broken.expected


def test_forged_rehashed_row_breaks_the_next_link(trail):
    """Recomputing the edited row's own hash does not help: the next event points elsewhere."""
    disable_guards(trail)
    victim = _ids(trail)[2]
    row = dict(
        trail.execute(text("SELECT * FROM audit_events WHERE id = :id"), {"id": victim})
        .mappings()
        .one()
    )
    stored = next(e for e in chain.stored_events(trail, after_id=victim - 1))
    forged = {**dict(zip(chain.STORED_FIELDS, stored, strict=True)), "actor_name": "forger"}
    new_hash = chain.event_hash(row["prev_hash"], forged)
    trail.execute(
        text("UPDATE audit_events SET actor_name='forger', hash=:h WHERE id=:id"),
        {"h": new_hash, "id": victim},
    )
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id == victim + 1
    assert "link" in result.broken.problem


def test_the_fast_walk_reads_what_the_orm_reads(trail):
    """The verify walk bypasses the ORM; in small batches it must still yield every event,
    in order, hashing exactly like the values the ORM returns."""
    walked = list(chain.stored_events(trail, batch=2))
    assert [event[0] for event in walked] == _ids(trail)
    for event in walked:
        assert chain.link_hash(event[chain._PREV], event[: chain._PREV]) == event[chain._HASH]


def test_a_break_in_a_later_batch_is_found(trail):
    disable_guards(trail)
    victim = _ids(trail)[4]
    trail.execute(text("UPDATE audit_events SET reason = 'edited' WHERE id = :id"), {"id": victim})
    broken = chain.verify_events(chain.stored_events(trail, batch=2)).broken
    assert broken is not None
    assert broken.event_id == victim
    assert "content changed" in broken.problem


def test_a_gap_wider_than_a_batch_is_walked_over_and_reported(trail):
    """An empty id range is not the end of the chain: the walk resumes at the next event."""
    disable_guards(trail)
    ids = _ids(trail)
    gone = {"a": ids[1], "b": ids[2], "c": ids[3]}
    trail.execute(text("DELETE FROM audit_events WHERE id IN (:a, :b, :c)"), gone)
    walked = [event[0] for event in chain.stored_events(trail, batch=2)]
    assert walked == [ids[0], *ids[4:]]
    broken = chain.verify_events(chain.stored_events(trail, batch=2)).broken
    assert broken is not None
    assert (broken.event_id, broken.expected) == (ids[4], f"id {ids[1]}")


def test_events_appended_during_the_walk_are_not_a_break(trail):
    """The head is read before the walk; a writer may append meanwhile."""
    head_before = chain.read_head(trail)
    make_customer(trail_session := Session(bind=trail), name="Appended later")
    trail_session.flush()
    result = chain.verify_events(chain.stored_events(trail), expected_head=head_before)
    assert result.ok, result.broken
    assert result.last_id > head_before.last_id


def test_rows_added_without_moving_the_head_are_detected(trail):
    head = chain.read_head(trail)
    append_past_head(trail)
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id == head.last_id + 1
    assert "after the recorded chain head" in result.broken.problem


def test_a_moved_head_is_detected_where_it_points(trail):
    head = chain.read_head(trail)
    trail.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": "0" * 64})
    result = verify_chain(trail)
    assert not result.ok
    assert result.broken.event_id == head.last_id
    assert "another hash" in result.broken.problem


@given(
    instant=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_sqlite_text_renders_like_the_hashed_datetime(instant):
    stored = instant.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert chain._sqlite_instant(stored) == chain.render_instant(instant)
    assert chain._sqlite_instant(stored[:19]) == chain.render_instant(
        instant.replace(microsecond=0)
    )
