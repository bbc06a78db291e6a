"""Work log rules: at most 24 h per engineer per day in total, no hours on closed or
cancelled requests (unless reopened), no future dates — each refusal names its rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from builders import make_request, make_user, make_work_log
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role

URL = "/api/v1/work-logs"
DAY = "2026-03-05"


def _log(client, headers, request_id, hours, work_date=DAY):
    return client.post(
        URL,
        json={"request_id": request_id, "work_date": work_date, "hours": hours},
        headers=headers,
    )


def test_a_day_holds_at_most_24_hours_over_all_requests(client, session, auth):
    engineer = make_user(session, Role.engineer)
    first, second = (
        make_request(session, status=RequestStatus.in_progress, assigned_engineer_id=engineer.id)
        for _ in range(2)
    )
    headers = auth(engineer)
    assert _log(client, headers, first.id, "20").status_code == 201
    over = _log(client, headers, second.id, "4.5")
    assert over.status_code == 409
    error = over.json()["error"]
    assert "at most 24 hours per engineer per day" in error["message"]
    assert "already has 20 h logged on 2026-03-05" in error["message"]
    assert error["details"]["rule"] == "hours_per_day"
    assert _log(client, headers, second.id, "4").status_code == 201
    assert _log(client, headers, second.id, "1", work_date="2026-03-06").status_code == 201


def test_another_engineers_hours_do_not_count(client, session, auth):
    engineer, colleague = make_user(session, Role.engineer), make_user(session, Role.engineer)
    request = make_request(
        session, status=RequestStatus.in_progress, assigned_engineer_id=engineer.id
    )
    make_work_log(session, request_id=request.id, engineer_id=colleague.id, hours=Decimal(20))
    make_work_log(session, request_id=request.id, engineer_id=engineer.id, hours=Decimal(20))
    admin = make_user(session, Role.admin)
    named = client.post(
        URL,
        json={
            "request_id": request.id,
            "work_date": "2026-03-03",
            "hours": "4",
            "engineer_id": engineer.id,
        },
        headers=auth(admin),
    )
    assert named.status_code == 201, named.text


def test_a_correction_may_not_push_the_day_past_24_hours(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = make_request(
        session, status=RequestStatus.in_progress, assigned_engineer_id=engineer.id
    )
    make_work_log(session, request_id=request.id, engineer_id=engineer.id, hours=Decimal(10))
    log = make_work_log(session, request_id=request.id, engineer_id=engineer.id, hours=Decimal(10))
    headers = auth(engineer)
    assert client.patch(f"{URL}/{log.id}", json={"hours": "14"}, headers=headers).status_code == 200
    over = client.patch(f"{URL}/{log.id}", json={"hours": "14.5"}, headers=headers)
    assert over.status_code == 409
    assert over.json()["error"]["details"]["rule"] == "hours_per_day"


@pytest.mark.parametrize("status", [RequestStatus.closed, RequestStatus.cancelled], ids=str)
def test_no_hours_on_a_closed_or_cancelled_request(client, session, auth, status):
    engineer = make_user(session, Role.engineer)
    request = make_request(session, status=status, assigned_engineer_id=engineer.id)
    log = make_work_log(session, request_id=request.id, engineer_id=engineer.id)
    headers = auth(engineer)
    created = _log(client, headers, request.id, "1")
    corrected = client.patch(f"{URL}/{log.id}", json={"hours": "1"}, headers=headers)
    for response in (created, corrected):
        assert response.status_code == 409
        assert f"it is {status.value}" in response.json()["error"]["message"]
        assert response.json()["error"]["details"]["rule"] == "request_open"


def test_a_reopened_request_takes_hours_again(client, session, auth):
    engineer = make_user(session, Role.engineer)
    manager = make_user(session, Role.admin)
    request = make_request(session, status=RequestStatus.closed, assigned_engineer_id=engineer.id)
    assert _log(client, auth(engineer), request.id, "1").status_code == 409
    reopened = client.post(f"/api/v1/requests/{request.id}/reopen", headers=auth(manager))
    assert reopened.status_code == 200, reopened.text
    assert _log(client, auth(engineer), request.id, "1").status_code == 201


def test_a_future_date_names_the_rule(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = make_request(
        session, status=RequestStatus.in_progress, assigned_engineer_id=engineer.id
    )
    response = _log(client, auth(engineer), request.id, "1", work_date="2099-01-01")
    assert response.status_code == 422
    assert "in the future" in response.json()["error"]["message"]
    assert response.json()["error"]["details"]["rule"] == "not_in_future"
