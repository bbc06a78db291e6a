"""Archiving, purging and the `oversight audit` commands, on a fresh database per test
(these operations commit)."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from oversight.audit.models import AuditEvent
from oversight.audit.verification import verify_chain
from oversight.cli import app
from oversight.config import get_settings

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def _count(engine) -> int:
    from sqlalchemy import func, select

    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def test_verify_reports_ok_and_head(cli_db):
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 12 events verified")
    head = invoke("audit", "head").output.split()
    assert head[0] == "13"  # the audit.verified event itself is number 13


def test_archive_moves_old_months_into_files_and_verify_walks_them(cli_db, tmp_path):
    result = invoke("audit", "archive", "--before", "2026-03-01")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "archive").glob("audit-*.jsonl.gz"))
    assert [f.name[:13] for f in files] == ["audit-2026-01", "audit-2026-02"]
    with gzip.open(files[0], "rt") as stream:
        header = json.loads(stream.readline())
    assert (header["first_id"], header["last_id"], header["count"]) == (1, 5, 5)
    assert _count(cli_db) == 3 + 1  # the present events and the audit.archived event
    verified = invoke("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "OK: 13 events verified" in verified.output


def test_editing_an_archive_is_detected(cli_db, tmp_path):
    invoke("audit", "archive", "--before", "2026-03-01")
    path = sorted((tmp_path / "archive").glob("audit-*.jsonl.gz"))[0]
    with gzip.open(path, "rt") as stream:
        lines = stream.readlines()
    event = json.loads(lines[2])
    event["entity_id"] = "forged"
    lines[2] = json.dumps(event) + "\n"
    with gzip.open(path, "wt") as stream:
        stream.writelines(lines)
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    assert f"event {event['id']}" in result.output


def test_losing_an_archive_file_is_detected(cli_db, tmp_path):
    invoke("audit", "archive", "--before", "2026-03-01")
    sorted((tmp_path / "archive").glob("audit-*.jsonl.gz"))[1].unlink()
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert "missing or reordered" in result.output


def test_the_database_refuses_deletes_outside_the_archive_path(cli_db):
    from sqlalchemy import delete
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"), cli_db.begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.id == 1))


def test_purge_needs_confirmation_and_is_recorded(cli_db, tmp_path, monkeypatch):
    invoke("audit", "archive", "--before", "2026-03-01")
    assert invoke("audit", "purge-archives").exit_code == 2
    monkeypatch.setenv("OVERSIGHT_AUDIT__RETENTION_YEARS", "1")
    get_settings.cache_clear()
    # With a one-year retention nothing from 2026 is old enough yet.
    assert "removed 0 archive files" in invoke("audit", "purge-archives", "--confirm").output


def test_purged_archives_leave_a_verifiable_chain_from_the_oldest_remaining(cli_db, tmp_path):
    from datetime import date

    from oversight.audit import service
    from oversight.db.session import session_factory, unit_of_work

    invoke("audit", "archive", "--before", "2026-03-01")
    with unit_of_work(session_factory(cli_db)) as session:
        result = service.purge_archives(session, tmp_path / "archive", older_than=date(2026, 2, 1))
    assert [p.name[:13] for p in result.removed] == ["audit-2026-01"]
    with cli_db.connect() as connection:
        verification = verify_chain(connection, tmp_path / "archive")
    assert verification.ok, verification.broken


def test_export_to_a_file_is_recorded(cli_db, tmp_path):
    out = tmp_path / "trail.jsonl"
    result = invoke("audit", "export", "--out", str(out), "--action", "test.event")
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 12
    with cli_db.connect() as connection:
        from sqlalchemy import select

        actions = connection.execute(
            select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.actor_name)
        ).all()
    assert ("audit.exported", "cli", "audit export") in actions
