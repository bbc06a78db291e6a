"""KPI views in the audit trail (`analytics.viewed`), the figures adoption is measured from."""

from __future__ import annotations

from sqlalchemy import select

from builders import make_user
from oversight.audit.models import AuditEvent
from oversight.vocabulary import Role


def _views(session) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == "analytics.viewed")
    return list(session.scalars(statement.order_by(AuditEvent.id)))


def test_each_kpi_shown_through_the_api_is_one_view_of_its_caller(client, auth, session):
    director = make_user(session, Role.director)
    for path in ("summary", "summary.txt", "revenue", "charts/open-requests.png"):
        assert client.get(f"/api/v1/analytics/{path}", headers=auth(director)).status_code == 200
    views = _views(session)
    assert [(v.actor_id, v.actor_role, v.entity_type) for v in views] == [
        (director.id, "director", "kpi")
    ] * 4
    assert [v.entity_id for v in views] == ["summary", "summary", "revenue", "chart:open-requests"]
    assert {v.changes for v in views} == {'{"channel":"api"}'}


def test_a_refused_or_failed_view_is_no_view(client, auth, session):
    engineer = make_user(session, Role.engineer)
    assert client.get("/api/v1/analytics/revenue", headers=auth(engineer)).status_code == 403
    director = make_user(session, Role.director)
    bad = client.get("/api/v1/analytics/summary?start=2026-03-31&end=2026-03-01",
                     headers=auth(director))  # fmt: skip
    assert bad.status_code == 422
    assert client.get("/api/v1/analytics/charts/pie.png", headers=auth(director)).status_code == 404
    assert _views(session) == []
