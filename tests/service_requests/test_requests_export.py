"""GET /api/v1/requests/export.csv: the list's filters, the caller's scope, streamed CSV with
formulas neutralised, audited."""

from __future__ import annotations

from datetime import UTC, datetime

from builders import make_request, make_user
from companies import make_company
from exports import csv_rows, export_event
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role

URL = "/api/v1/requests/export.csv"


def test_each_role_exports_exactly_the_requests_it_may_see(client, session, auth):
    mine, theirs = make_company(session), make_company(session)
    expected_mine = {mine.request.number}
    everything = {mine.request.number, theirs.request.number}
    for role, expected in [
        (Role.admin, everything),
        (Role.viewer, everything),
        (Role.project_manager, expected_mine),
        (Role.engineer, expected_mine),
        (Role.client, expected_mine),
    ]:
        caller = mine.caller(session, role)
        numbers = {row["number"] for row in csv_rows(client.get(URL, headers=auth(caller)))}
        assert numbers & everything == expected, role


def test_export_takes_the_list_filters_and_neutralises_formulas(client, session, auth):
    world = make_company(session)
    planted = make_request(
        session,
        project_id=world.project.id,
        title='=HYPERLINK("http://evil.example","open")',
        status=RequestStatus.new,
        created_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
    )
    make_request(  # same day, another status
        session,
        project_id=world.project.id,
        status=RequestStatus.cancelled,
        created_at=datetime(2026, 3, 5, 11, 0, tzinfo=UTC),
    )
    make_request(  # the status asked for, the day before
        session,
        project_id=world.project.id,
        status=RequestStatus.new,
        created_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
    )
    admin = make_user(session, Role.admin)
    query = f"?project_id={world.project.id}&status=new&from=2026-03-05&to=2026-03-05"
    response = client.get(URL + query, headers=auth(admin))
    rows = csv_rows(response)
    assert [row["number"] for row in rows] == [planted.number]
    [row] = rows
    assert row["title"] == "'" + planted.title
    assert row["created_at"] == "2026-03-05T10:00:00+00:00"
    assert row["status"] == "new"
    assert row["is_overdue"] in {"True", "False"}
    assert '"number","title","status"' in response.text.splitlines()[0]
    details = export_event(session, "service_request.exported", response)
    assert details["format"] == "csv"
    assert details["query"]["status"] == ["new"]
    assert details["query"]["from"] == ["2026-03-05"]


def test_a_bad_sort_or_an_old_filter_name_is_refused_before_anything_is_sent(client, session, auth):
    admin = make_user(session, Role.admin)
    bad_sort = client.get(URL + "?sort=nonsense", headers=auth(admin))
    assert bad_sort.status_code == 422
    assert "sortable fields" in bad_sort.json()["error"]["message"]
    old_name = client.get(URL + "?created_from=2026-03-01T00:00:00Z", headers=auth(admin))
    assert old_name.status_code == 422
    assert old_name.json()["error"]["details"]["unknown"] == ["created_from"]
