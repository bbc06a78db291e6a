"""Reading a CSV export back: its rows as dicts, and the audit event it left."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.audit.models import AuditEvent


def csv_rows(response: Any) -> list[dict[str, str]]:
    """The rows of a CSV download, after checking it is one."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.text)))


def export_event(session: Session, action: str, response: Any) -> dict[str, Any]:
    """The details of the one `action` event the export's request left."""
    session.expire_all()
    [event] = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == action,
            AuditEvent.request_id == response.headers["x-request-id"],
        )
    ).all()
    details: dict[str, Any] = json.loads(event.changes)
    return details
