"""/api/v1/alerts: Alertmanager's webhook (its own bearer token), and the on-call API."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from oversight.alerts import delivery, intake
from oversight.alerts import service as alert_service
from oversight.alerts.errors import IntakeNotConfigured, MalformedPayload
from oversight.alerts.models import AlertStatus
from oversight.alerts.schemas import (
    SILENCE_LENGTHS,
    AlertRead,
    AlertStats,
    IntakeResult,
    OnCallRead,
    RotationRead,
    RotationWrite,
    SilenceCreate,
    SilenceRead,
)
from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.db.session import unit_of_work
from oversight.errors import NotAuthenticated
from oversight.kit.ids import RecordId
from oversight.kit.page_query import PageQuery
from oversight.kit.pagination import Page, page_of
from oversight.kit.ranges import DateRange, legacy_range
from oversight.kit.routing import OffloadedRoute
from oversight.observability.logging import get_logger

StatsWindow = Annotated[DateRange, Depends(legacy_range("since", "until"))]


router = APIRouter(prefix="/alerts", tags=["alerts"], route_class=OffloadedRoute)
log = get_logger("oversight.alerts")

AlertReader = Annotated[Principal, Depends(require(Resource.alerts, Action.read))]
AlertAcknowledger = Annotated[Principal, Depends(require(Resource.alerts, Action.acknowledge))]
AlertSilencer = Annotated[Principal, Depends(require(Resource.alerts, Action.silence))]
RotationEditor = Annotated[Principal, Depends(require(Resource.alerts, Action.update))]


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
    """Alerts received from Alertmanager, a page at a time, filtered by `status`, `severity` or
    `acknowledged`: what fired, when, and who acknowledged it."""
    rows, total = alert_service.list_alerts(
        session, params=params, status=alert_status, severity=severity, acknowledged=acknowledged
    )
    return page_of(AlertRead, rows, total, params)


@router.get("/stats")
def read_alert_stats(
    session: SessionDep,
    settings: SettingsDep,
    _: AlertReader,
    window: StatsWindow,
) -> AlertStats:
    """MTTR, time to acknowledge and noise of the alerts that fired from `from` (default:
    28 days before `to`) to `to` (default: now); a date is that local day. `since`/`until`
    are the former names, kept for one release."""
    since, until = window.instants(settings.company.calendar.timezone)
    return alert_service.alert_stats(session, settings=settings, since=since, until=until)


@router.get("/oncall", summary="Who is on call now")
def read_oncall(session: SessionDep, settings: SettingsDep, _: AlertReader) -> OnCallRead | None:
    """Who is on call now (by the stored rotation, else the settings'), who is next, until
    when; null when no rotation names anybody."""
    return alert_service.oncall_read(alert_service.oncall_now(session, settings=settings))


@router.get("/oncall/rotation", summary="The on-call rotation in force")
def read_rotation(session: SessionDep, settings: SettingsDep, _: AlertReader) -> RotationRead:
    """The rotation in force: the stored one if an admin set it, else the settings'; its people
    in order, the hand-over time and the stand-ins (overrides) still to come."""
    return alert_service.read_rotation(session, settings=settings)


@router.put("/oncall/rotation", summary="Replace the stored on-call rotation")
def set_rotation(
    session: SessionDep, settings: SettingsDep, _: RotationEditor, body: RotationWrite
) -> RotationRead:
    """Replace the stored rotation (it wins over the settings' while it exists). 422 naming
    the problem: an empty rotation, someone listed twice, an unknown or disabled user, a user
    with neither a linked Telegram account nor an e-mail, stand-ins that overlap."""
    return alert_service.set_rotation(session, settings=settings, body=body)


@router.delete("/oncall/rotation", summary="Remove the stored on-call rotation")
def clear_rotation(session: SessionDep, settings: SettingsDep, _: RotationEditor) -> RotationRead:
    """Remove the stored rotation: the settings' one is in force again (404 if none)."""
    return alert_service.clear_rotation(session, settings=settings)


@router.get("/{alert_id}")
def read_alert(session: SessionDep, _: AlertReader, alert_id: RecordId) -> AlertRead:
    """One alert with its labels, times, deliveries and acknowledgement."""
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
    """Silence an alert in Alertmanager for the given duration (on-call roles); the silence is
    created there and recorded here."""
    silence = alert_service.silence_alert(
        session,
        alert_id=alert_id,
        user_id=principal.user_id,
        duration=SILENCE_LENGTHS[body.duration],
        settings=settings,
    )
    return SilenceRead.model_validate(silence)
