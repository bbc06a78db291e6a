"""/api/v1/alerts: Alertmanager's webhook (its own bearer token), and the on-call API."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from oversight.alerts import delivery, intake
from oversight.alerts import service as alert_service
from oversight.alerts.errors import IntakeNotConfigured, MalformedPayload
from oversight.alerts.models import AlertStatus
from oversight.alerts.oncall import OnCall
from oversight.alerts.schemas import (
    SILENCE_LENGTHS,
    AlertRead,
    AlertStats,
    IntakeResult,
    SilenceCreate,
    SilenceRead,
)
from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.db.session import unit_of_work
from oversight.errors import InvalidInput, NotAuthenticated
from oversight.kit.ids import RecordId
from oversight.kit.pagination import Page, PageQuery, page_of
from oversight.kit.routing import OffloadedRoute
from oversight.kit.schemas import Instant
from oversight.observability.logging import get_logger

router = APIRouter(prefix="/alerts", tags=["alerts"], route_class=OffloadedRoute)
log = get_logger("oversight.alerts")

AlertReader = Annotated[Principal, Depends(require(Resource.alerts, Action.read))]
AlertAcknowledger = Annotated[Principal, Depends(require(Resource.alerts, Action.acknowledge))]
AlertSilencer = Annotated[Principal, Depends(require(Resource.alerts, Action.silence))]


async def check_intake_token(request: Request) -> None:
    """Alertmanager's bearer token, compared in constant time. Without a configured token the
    intake is closed (401 `intake_not_configured`): an unconfigured install takes alerts from
    no one."""
    settings: Settings = request.app.state.settings
    expected = settings.alerts.intake_token
    if expected is None:
        raise IntakeNotConfigured(
            "the alert intake is closed: no token is configured "
            "(set OVERSIGHT_ALERTS__INTAKE_TOKEN, and the same in Alertmanager's intake-token)"
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.get_secret_value().encode()
    ):
        raise NotAuthenticated("the alert intake needs 'Authorization: Bearer <intake token>'")


async def raw_body(request: Request) -> bytes:
    return await request.body()


IntakeCaller = Annotated[None, Depends(check_intake_token)]
RawBody = Annotated[bytes, Depends(raw_body)]


@router.post("/alertmanager")
def receive_alertmanager(
    _: IntakeCaller,
    body: RawBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> IntakeResult:
    """Alertmanager's webhook (payload version 4). A malformed payload is 400 with the reason
    and stores nothing; a repeated one changes nothing. Notifications go out after the commit
    (and, should this process stop first, with the next run of the `alerts_escalate` job)."""
    try:
        payload = intake.parse_payload(body)
    except MalformedPayload as error:
        log.warning("alertmanager_payload_rejected", reason=error.message, bytes=len(body))
        raise
    if payload.truncated_alerts:
        # Alertmanager's max_alerts cut the group: the rest arrive with a later notification.
        log.warning("alertmanager_payload_truncated", truncated=payload.truncated_alerts)
    result = intake.ingest(session, settings, payload)
    log.info(
        "alertmanager_payload",
        received=result.received,
        new=result.new,
        resolved=result.resolved,
        unchanged=result.unchanged,
    )
    if settings.alerts.deliver_in_background and (result.new or result.resolved):
        background.add_task(deliver_queued, request.app.state.session_factory, settings)
    return result


def deliver_queued(factory: sessionmaker[Session], settings: Settings) -> None:
    """The background delivery after an intake: its own unit of work, committed per message."""
    with unit_of_work(factory) as session:
        delivery.deliver_pending(
            session, settings, delivery.channels_from(settings), checkpoint=session.commit
        )


@router.get("")
def list_alerts(
    session: SessionDep,
    _: AlertReader,
    params: PageQuery,
    alert_status: Annotated[AlertStatus | None, Query(alias="status")] = None,
    severity: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    acknowledged: bool | None = None,
) -> Page[AlertRead]:
    rows, total = alert_service.list_alerts(
        session, params=params, status=alert_status, severity=severity, acknowledged=acknowledged
    )
    return page_of(AlertRead, rows, total, params)


@router.get("/stats")
def read_alert_stats(
    session: SessionDep,
    settings: SettingsDep,
    _: AlertReader,
    since: Annotated[Instant | None, Query(description="default: 28 days before `until`")] = None,
    until: Annotated[Instant | None, Query(description="default: now")] = None,
) -> AlertStats:
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until must be later than since", details={"field": "until"})
    return alert_service.alert_stats(session, settings=settings, since=since, until=until)


class OnCallRead(BaseModel):
    """Who is on call (by name: their addresses stay in the settings), who is next, until when."""

    name: str
    next: str | None
    until: datetime | None


@router.get("/oncall")
def read_oncall(settings: SettingsDep, _: AlertReader) -> OnCallRead | None:
    rotation: OnCall | None = alert_service.oncall_now(settings)
    if rotation is None:
        return None
    return OnCallRead(
        name=rotation.person.name,
        next=rotation.next_person.name if rotation.next_person else None,
        until=rotation.until,
    )


@router.get("/{alert_id}")
def read_alert(session: SessionDep, _: AlertReader, alert_id: RecordId) -> AlertRead:
    return AlertRead.model_validate(alert_service.get_alert(session, alert_id=alert_id))


@router.post("/{alert_id}/ack")
def acknowledge_alert(
    session: SessionDep,
    settings: SettingsDep,
    principal: AlertAcknowledger,
    alert_id: RecordId,
    request: Request,
    background: BackgroundTasks,
) -> AlertRead:
    """Record the acknowledgement (the first one stands); its Telegram messages are edited
    after the commit."""
    alert = alert_service.acknowledge_alert(
        session, alert_id=alert_id, user_id=principal.user_id, channel="api"
    )
    if settings.alerts.deliver_in_background:
        background.add_task(deliver_queued, request.app.state.session_factory, settings)
    return AlertRead.model_validate(alert)


@router.post("/{alert_id}/silence", status_code=201)
def silence_alert(
    session: SessionDep,
    settings: SettingsDep,
    principal: AlertSilencer,
    alert_id: RecordId,
    body: SilenceCreate,
) -> SilenceRead:
    silence = alert_service.silence_alert(
        session,
        alert_id=alert_id,
        user_id=principal.user_id,
        duration=SILENCE_LENGTHS[body.duration],
        settings=settings,
    )
    return SilenceRead.model_validate(silence)
