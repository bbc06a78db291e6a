from __future__ import annotations

from datetime import date, timedelta

from builders import make_request, make_user, make_work_log
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role


def _assigned_request(session, engineer, status=RequestStatus.in_progress):
    return make_request(session, status=status, assigned_engineer_id=engineer.id)


def test_engineer_logs_hours_on_an_assigned_request(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = _assigned_request(session, engineer)
    response = client.post(
        "/api/v1/work-logs",
        json={"request_id": request.id, "work_date": "2026-03-03", "hours": "3.25"},
        headers=auth(engineer),
    )
    assert response.status_code == 201, response.text
    assert response.json()["engineer_id"] == engineer.id
    assert response.json()["hours"] == "3.25"


def test_engineer_cannot_log_for_someone_else(client, session, auth):
    engineer = make_user(session, Role.engineer)
    colleague = make_user(session, Role.engineer)
    request = _assigned_request(session, engineer)
    response = client.post(
        "/api/v1/work-logs",
        json={
            "request_id": request.id,
            "work_date": "2026-03-03",
            "hours": "1",
            "engineer_id": colleague.id,
        },
        headers=auth(engineer),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "engineer_id"}


def test_engineer_cannot_log_on_a_request_not_assigned_to_them(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = _assigned_request(session, make_user(session, Role.engineer))
    response = client.post(
        "/api/v1/work-logs",
        json={"request_id": request.id, "work_date": "2026-03-03", "hours": "1"},
        headers=auth(engineer),
    )
    assert response.status_code == 422
    assert "does not exist" in response.json()["error"]["message"]


def test_hours_must_be_positive_and_at_most_a_day(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = _assigned_request(session, engineer)
    for hours in ("0", "-1", "24.5", "1.234"):
        response = client.post(
            "/api/v1/work-logs",
            json={"request_id": request.id, "work_date": "2026-03-03", "hours": hours},
            headers=auth(engineer),
        )
        assert response.status_code == 422, hours
        assert "hours" in response.json()["error"]["message"]


def test_future_work_date_is_refused(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = _assigned_request(session, engineer)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(
        "/api/v1/work-logs",
        json={"request_id": request.id, "work_date": tomorrow, "hours": "1"},
        headers=auth(engineer),
    )
    assert response.status_code == 422
    assert "future" in response.json()["error"]["message"]


def test_work_date_before_the_request_is_refused(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = _assigned_request(session, engineer)
    response = client.post(
        "/api/v1/work-logs",
        json={"request_id": request.id, "work_date": "2025-01-01", "hours": "1"},
        headers=auth(engineer),
    )
    assert response.status_code == 422
    assert "before the request was created" in response.json()["error"]["message"]


def test_no_logging_on_a_new_request(client, session, auth):
    admin = make_user(session, Role.admin)
    engineer = make_user(session, Role.engineer)
    request = make_request(session)
    response = client.post(
        "/api/v1/work-logs",
        json={
            "request_id": request.id,
            "work_date": "2026-03-03",
            "hours": "1",
            "engineer_id": engineer.id,
        },
        headers=auth(admin),
    )
    assert response.status_code == 409


def test_engineer_lists_only_own_logs(client, session, auth):
    engineer = make_user(session, Role.engineer)
    mine = make_work_log(
        session, engineer_id=engineer.id, request_id=_assigned_request(session, engineer).id
    )
    make_work_log(session)
    listing = client.get("/api/v1/work-logs", headers=auth(engineer)).json()
    assert [item["id"] for item in listing["items"]] == [mine.id]


def test_engineer_cannot_edit_a_colleagues_log(client, session, auth):
    engineer = make_user(session, Role.engineer)
    theirs = make_work_log(session)
    response = client.patch(
        f"/api/v1/work-logs/{theirs.id}", json={"hours": "1"}, headers=auth(engineer)
    )
    assert response.status_code == 404


def test_client_has_no_access_to_work_logs(client, session, auth):
    contact = make_user(session, Role.client)
    assert client.get("/api/v1/work-logs", headers=auth(contact)).status_code == 403
