"""Issue 12, finding 5: checkpoints of the chain kept outside the database. A rewrite that
recomputes every later hash and the head verifies on its own; it no longer passes through
the published checkpoints. Ordinary appends after a checkpoint (or after a kept head) pass."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from forgery import cut_tail, disable_guards, enable_guards, rehash_from, trail_event
from oversight.audit import chain
from oversight.audit import service as audit_service
from oversight.audit.checkpoints import CheckpointError, checkpoint_file, read_file
from oversight.audit.models import AuditVerification
from oversight.audit.verification import verify_chain
from oversight.cli import app as cli
from oversight.config import get_settings
from oversight.db.session import session_factory, unit_of_work
from oversight.kit.clock import utcnow

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(cli, list(args))


def _anchor(tmp_path):
    return tmp_path / "anchor" / "cp.jsonl"


def _publish() -> str:
    result = invoke("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    return result.output


def _append(engine, count: int = 3) -> None:
    with engine.begin() as connection:
        chain.append(connection, [trail_event(utcnow(), 100 + n) for n in range(count)])


def test_the_checkpoint_command_appends_one_line_per_new_head(cli_db, tmp_path):
    assert "published checkpoint 12 " in _publish()
    assert "nothing published" in _publish()
    _append(cli_db)
    assert "published checkpoint 15 " in _publish()
    lines = [json.loads(line) for line in _anchor(tmp_path).read_text().splitlines()]
    assert [line["position"] for line in lines] == [12, 15]
    with cli_db.connect() as connection:
        assert lines[-1]["hash"] == chain.read_head(connection).last_hash
    assert all(line["at"].endswith("+00:00") for line in lines)


def test_a_full_rehash_rewrite_of_an_old_event_is_detected(cli_db, tmp_path):
    _publish()
    _append(cli_db)
    with cli_db.begin() as connection:
        disable_guards(connection)
        rehash_from(connection, 3, actor_name="someone else")
        enable_guards(connection)
    with cli_db.connect() as connection:
        assert verify_chain(connection).ok, "the rewrite must fool the chain on its own"
    result = invoke("audit", "verify")
    assert result.exit_code == 1, result.output
    assert "event 12: the chain does not pass through a published checkpoint" in result.output


def test_deleting_a_tail_and_moving_the_head_is_detected(cli_db, tmp_path):
    _publish()
    with cli_db.begin() as connection:
        disable_guards(connection)
        cut_tail(connection, keep_through=8)
        enable_guards(connection)
    with cli_db.connect() as connection:
        assert verify_chain(connection).ok, "the cut must fool the chain on its own"
    result = invoke("audit", "verify")
    assert result.exit_code == 1, result.output
    assert "ends before a published checkpoint" in result.output
    assert "event 12" in result.output


def test_ordinary_appends_after_a_checkpoint_pass(cli_db, tmp_path):
    _publish()
    kept = invoke("audit", "head").output.strip()
    _append(cli_db, 5)
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "passes through 1 of 1 checkpoints" in result.output
    for expected in (kept, kept.split()[1], kept.replace(" ", ":")):
        passed = invoke("audit", "verify", "--expect-head", expected)
        assert passed.exit_code == 0, passed.output


def test_expect_head_catches_a_rewrite_that_a_busy_day_does_not_look_like(cli_db):
    kept = invoke("audit", "head").output.strip()
    with cli_db.begin() as connection:
        disable_guards(connection)
        rehash_from(connection, 2, actor_name="forger")
        enable_guards(connection)
    for expected in (kept, kept.split()[1]):
        result = invoke("audit", "verify", "--expect-head", expected)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("BROKEN")


def test_checkpoints_kept_elsewhere_are_checked_too(cli_db, tmp_path):
    _publish()
    copy = tmp_path / "from-the-backup-manifest.jsonl"
    copy.write_text(_anchor(tmp_path).read_text())
    _anchor(tmp_path).unlink()  # whoever rewrote the chain also removed the local file
    with cli_db.begin() as connection:
        disable_guards(connection)
        rehash_from(connection, 5, actor_name="forger")
        enable_guards(connection)
    assert invoke("audit", "verify").exit_code == 0  # nothing left to compare with...
    result = invoke("audit", "verify", "--checkpoints", str(copy))
    assert result.exit_code == 1, result.output  # ...but the copy elsewhere still knows
    assert "published checkpoint" in result.output


def test_a_damaged_checkpoint_file_is_reported_in_one_line(cli_db, tmp_path):
    _publish()
    with _anchor(tmp_path).open("a") as stream:
        stream.write('{"position": "twelve"}\n')
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "cp.jsonl:2: position must be a positive integer" in result.output


def test_no_checkpoint_is_published_for_a_broken_chain(cli_db, tmp_path):
    _publish()
    _append(cli_db)
    with cli_db.begin() as connection:
        disable_guards(connection)
        rehash_from(connection, 4, actor_name="forger")
        enable_guards(connection)
    result = invoke("audit", "checkpoint")
    assert result.exit_code == 1, result.output
    assert "no checkpoint published" in result.output
    assert [c.position for c in read_file(_anchor(tmp_path))] == [12]
    with cli_db.connect() as connection:
        assert connection.execute(
            select(AuditVerification.ok).order_by(AuditVerification.id.desc())
        ).scalar() is False  # fmt: skip


def test_the_scheduled_job_publishes_through_the_job_runner(cli_db, tmp_path):
    result = invoke("jobs", "run", "audit_checkpoint")
    assert result.exit_code == 0, result.output
    assert [c.position for c in read_file(_anchor(tmp_path))] == [12]


def test_current_checkpoint_is_the_recorded_head_for_the_backup_manifest(cli_db):
    with unit_of_work(session_factory(cli_db)) as session:
        checkpoint = audit_service.current_checkpoint(session)
        head = chain.read_head(session.connection())
    assert checkpoint is not None
    assert (checkpoint.position, checkpoint.hash) == (head.last_id, head.last_hash)
    assert checkpoint.at is not None
    assert set(checkpoint.as_json()) == {"position", "hash", "at"}


def test_a_checkpoint_file_beside_a_sqlite_database_is_refused(cli_db, monkeypatch, backend):
    if backend != "sqlite":
        pytest.skip("a PostgreSQL database has no folder on this machine")
    database = get_settings().database.url.removeprefix("sqlite:///")
    monkeypatch.setenv("OVERSIGHT_AUDIT__CHECKPOINT_FILE", database + ".checkpoints")
    get_settings.cache_clear()
    with pytest.raises(CheckpointError, match="database's folder"):
        checkpoint_file(get_settings())
    result = invoke("audit", "checkpoint")
    assert result.exit_code == 2
    assert "database's folder" in result.output


def test_checkpoints_in_archives_are_checked_and_in_purged_ones_skipped(cli_db, tmp_path):
    from datetime import date

    from oversight.audit.checkpoints import Checkpoint, FileCheckpoints

    with cli_db.connect() as connection:
        third = connection.execute(text("SELECT hash FROM audit_events WHERE id = 3")).scalar()
    FileCheckpoints(_anchor(tmp_path)).publish(Checkpoint(3, third, utcnow()))
    _publish()  # position 12
    assert invoke("audit", "archive", "--before", "2026-03-01").exit_code == 0
    archived = invoke("audit", "verify")
    assert archived.exit_code == 0, archived.output
    assert "passes through 2 of 2 checkpoints" in archived.output
    with unit_of_work(session_factory(cli_db)) as session:
        audit_service.purge_archives(session, tmp_path / "archive", older_than=date(2026, 2, 1))
    purged = invoke("audit", "verify")
    assert purged.exit_code == 0, purged.output
    assert "passes through 1 of 2 checkpoints" in purged.output


def test_a_damaged_checkpoint_file_fails_the_nightly_verification(cli_db, tmp_path):
    _publish()
    _anchor(tmp_path).write_text("not json\n")  # the root user lifted chattr +a and edited it
    result = invoke("jobs", "run", "audit_verify")
    assert result.exit_code == 0, result.output
    with cli_db.connect() as connection:
        ok, problem = connection.execute(
            select(AuditVerification.ok, AuditVerification.problem)
            .order_by(AuditVerification.id.desc())
        ).one()  # fmt: skip
    assert ok is False
    assert "cp.jsonl:1: not a JSON line" in problem
