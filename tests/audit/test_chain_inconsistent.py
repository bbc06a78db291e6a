"""Issue 12, finding 4: a row past the recorded chain head. `audit verify` reports it without
writing into the chain it judges (it used to crash appending its own `audit.verified` event
under a taken id), and the app refuses writes with a clear 503, counted and logged, instead
of answering 409 to every audited request."""

from __future__ import annotations

import gzip
import json

from sqlalchemy import select
from typer.testing import CliRunner

from builders import make_customer, make_user
from forgery import append_past_head
from oversight.audit import chain
from oversight.audit import service as audit_service
from oversight.audit.metrics import APPEND_REFUSED
from oversight.audit.models import AuditEvent, AuditVerification
from oversight.cli import app as cli
from oversight.vocabulary import Role


def test_verify_reports_a_row_past_the_head_and_records_it_outside_the_chain(session):
    make_customer(session)
    forged = append_past_head(session.connection())
    result = audit_service.verify(session, None)
    assert not result.ok
    assert result.broken.event_id == forged
    assert "after the recorded chain head" in result.broken.problem
    outcome = session.scalars(
        select(AuditVerification).order_by(AuditVerification.id.desc())
    ).first()
    assert outcome is not None
    assert not outcome.ok
    assert "after the recorded chain head" in outcome.problem
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.id > forged)) is None


def test_an_intact_chain_still_gets_its_audit_verified_event(session):
    make_customer(session)
    result = audit_service.verify(session, None)
    assert result.ok, result.broken
    assert chain.read_head(session.connection()).last_id == result.last_id + 1
    last = session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
    assert last == audit_service.VERIFIED


def test_writes_are_refused_with_503_while_reads_keep_working(client, session, auth, json_logs):
    admin = make_user(session, Role.admin)
    customer = make_customer(session, name="Before The Forgery")
    append_past_head(session.connection())
    refused_before = APPEND_REFUSED._value.get()
    json_logs()
    created = client.post("/api/v1/customers", json={"name": "After"}, headers=auth(admin))
    assert created.status_code == 503, created.text
    assert created.json()["error"]["code"] == "audit_chain_inconsistent"
    assert "audit verify" in created.json()["error"]["message"]
    read = client.get(f"/api/v1/customers/{customer.id}", headers=auth(admin))
    assert read.status_code == 200
    assert APPEND_REFUSED._value.get() == refused_before + 1
    assert any(line.get("action") == "audit_append_refused" for line in json_logs())


def test_a_refusal_whose_audit_event_cannot_land_is_not_a_409_or_500(client, session, auth):
    engineer = make_user(session, Role.engineer)
    append_past_head(session.connection())
    response = client.get("/api/v1/users", headers=auth(engineer))
    assert response.status_code == 503, response.text


def test_the_cli_reports_the_finding_in_one_line_and_the_app_keeps_reading(cli_db):
    with cli_db.begin() as connection:
        forged = append_past_head(connection)
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("BROKEN")
    assert f"event {forged}: events after the recorded chain head" in result.output
    with cli_db.connect() as connection:
        ok = connection.execute(
            select(AuditVerification.ok).order_by(AuditVerification.id.desc())
        ).scalar()
        assert ok is False
        assert chain.read_head(connection).last_id == forged - 1


def test_quarantining_the_rows_past_the_head_keeps_them_as_evidence_and_unblocks_writes(
    cli_db, tmp_path
):
    with cli_db.begin() as connection:
        forged = append_past_head(connection)
    refused = CliRunner().invoke(cli, ["audit", "quarantine-tail"])
    assert refused.exit_code == 2
    moved = CliRunner().invoke(cli, ["audit", "quarantine-tail", "--confirm"])
    assert moved.exit_code == 0, moved.output
    evidence = next((tmp_path / "archive" / "quarantine").glob("quarantine-*.jsonl.gz"))
    with gzip.open(evidence, "rt") as stream:
        header, row = (json.loads(line) for line in stream)
    assert (header["first_id"], header["count"], row["id"], row["actor_name"]) == (
        forged, 1, forged, "forger",
    )  # fmt: skip
    verified = CliRunner().invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    with cli_db.connect() as connection:
        actions = connection.execute(
            select(AuditEvent.action).where(AuditEvent.id >= forged).order_by(AuditEvent.id)
        ).scalars().all()  # fmt: skip
    # The position the forged row held now holds the record of its removal.
    assert actions == ["audit.tail_quarantined", "audit.verified"]
