"""The SLA clock as the workflow drives it, at chosen instants in the company timezone
(Europe/Moscow, UTC+3, Mon-Fri 09:00-18:00 by default)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from builders import make_project, make_user
from oversight.auth.principal import Principal
from oversight.service_requests import service
from oversight.service_requests.schemas import RequestCreate
from oversight.vocabulary import Priority, Role

MSK = ZoneInfo("Europe/Moscow")


def msk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MSK)


def _principal(user) -> Principal:
    return Principal(
        user_id=user.id, username=user.username, role=user.role, customer_id=user.customer_id
    )


def _create(session, settings, priority: Priority, at: datetime):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    return service.create_request(
        session=session,
        settings=settings,
        principal=_principal(admin),
        data=RequestCreate(title="Smoke vent stuck", priority=priority, project_id=project.id),
        now=at,
    ), admin


def test_friday_evening_request_is_due_next_week_in_business_hours(session, settings):
    # Friday 17:00: one business hour left on Friday, then Monday from 09:00.
    request, _ = _create(session, settings, Priority.high, msk(2026, 11, 20, 17, 0))
    assert request.response_due_at == msk(2026, 11, 23, 10, 0)  # 2 h: Fri 1 h + Mon 1 h
    assert request.resolution_due_at == msk(2026, 11, 23, 17, 0)  # 9 h: Fri 1 h + Mon 8 h


def test_saturday_request_starts_its_clock_on_monday_morning(session, settings):
    request, _ = _create(session, settings, Priority.critical, msk(2026, 11, 21, 11, 30))
    assert request.response_due_at == msk(2026, 11, 23, 10, 0)
    assert request.resolution_due_at == msk(2026, 11, 23, 13, 0)


def test_waiting_for_approval_over_a_weekend_moves_the_due_date_by_the_paused_business_time(
    session, settings
):
    request, admin = _create(session, settings, Priority.medium, msk(2026, 11, 16, 9, 0))
    # medium: 27 business hours from Monday 09:00 -> Wednesday 18:00.
    assert request.resolution_due_at == msk(2026, 11, 18, 18, 0)
    engineer = make_user(session, Role.engineer)
    service.assign(session=session, request=request, engineer_id=engineer.id)
    service.start(session=session, request=request, now=msk(2026, 11, 16, 10, 0))
    # Completed Wednesday 16:00 with 2 business hours left; the client answers Monday 12:00.
    service.complete(session=session, request=request, now=msk(2026, 11, 18, 16, 0))
    service.reject(
        session=session,
        settings=settings,
        principal=_principal(admin),
        request=request,
        comment="Vent 3 still stuck",
        now=msk(2026, 11, 23, 12, 0),
    )
    # The 2 remaining business hours run again from Monday 12:00.
    assert request.resolution_due_at == msk(2026, 11, 23, 14, 0)
    assert request.sla_paused_at is None
    assert request.revision_count == 1


def test_approval_after_the_pause_counts_as_on_time_when_work_was_done_in_time(session, settings):
    request, admin = _create(session, settings, Priority.critical, msk(2026, 11, 17, 9, 0))
    engineer = make_user(session, Role.engineer)
    service.assign(session=session, request=request, engineer_id=engineer.id)
    service.start(session=session, request=request, now=msk(2026, 11, 17, 9, 30))
    service.complete(session=session, request=request, now=msk(2026, 11, 17, 12, 0))
    service.approve(
        session=session,
        settings=settings,
        principal=_principal(admin),
        request=request,
        now=msk(2026, 11, 19, 15, 0),
    )
    assert request.closed_at == msk(2026, 11, 19, 15, 0)
    assert request.closed_at <= request.resolution_due_at


def test_work_completed_after_the_due_date_stays_late_however_fast_the_client_answers(
    session, settings
):
    request, admin = _create(session, settings, Priority.critical, msk(2026, 11, 17, 9, 0))
    engineer = make_user(session, Role.engineer)
    service.assign(session=session, request=request, engineer_id=engineer.id)
    service.start(session=session, request=request, now=msk(2026, 11, 17, 9, 30))
    service.complete(session=session, request=request, now=msk(2026, 11, 17, 14, 0))
    service.approve(
        session=session,
        settings=settings,
        principal=_principal(admin),
        request=request,
        now=msk(2026, 11, 17, 14, 5),
    )
    assert request.resolution_due_at == msk(2026, 11, 17, 13, 0)
    assert request.closed_at > request.resolution_due_at


def test_paused_request_is_not_overdue_while_the_client_decides(session, settings):
    request, _ = _create(session, settings, Priority.critical, msk(2026, 11, 17, 9, 0))
    engineer = make_user(session, Role.engineer)
    service.assign(session=session, request=request, engineer_id=engineer.id)
    service.start(session=session, request=request, now=msk(2026, 11, 17, 9, 30))
    service.complete(session=session, request=request, now=msk(2026, 11, 17, 12, 0))
    assert not service.is_overdue(request, msk(2026, 11, 30, 12, 0))


def test_first_response_is_the_first_start_only(session, settings):
    request, _ = _create(session, settings, Priority.low, msk(2026, 11, 17, 9, 0))
    engineer = make_user(session, Role.engineer)
    service.assign(session=session, request=request, engineer_id=engineer.id)
    service.start(session=session, request=request, now=msk(2026, 11, 17, 11, 0))
    service.complete(session=session, request=request, now=msk(2026, 11, 17, 12, 0))
    service.close(session=session, settings=settings, request=request, now=msk(2026, 11, 17, 13, 0))
    service.reopen(session=session, request=request)
    assert request.first_response_at == msk(2026, 11, 17, 11, 0)
    assert request.revision_count == 1
    assert request.closed_at is None
