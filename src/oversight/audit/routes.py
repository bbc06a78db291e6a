from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from oversight.audit import repository
from oversight.audit.events import record_event
from oversight.audit.export import ExportFormat, export_lines
from oversight.audit.policy import POLICIES
from oversight.audit.repository import AuditFilters
from oversight.audit.schemas import AuditEventRead, AuditPage
from oversight.auth.dependencies import (
    CurrentPrincipal,
    SessionDep,
    StreamingSessionDep,
    deny,
    require,
)
from oversight.auth.models import User
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.principal import Principal
from oversight.auth.scope import get_visible_or_raise
from oversight.customers.models import Customer
from oversight.errors import NotFound
from oversight.invoices.models import Invoice
from oversight.kit.ids import EventId, RecordId
from oversight.kit.schemas import Instant
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import ServiceRequest, WorkLog
from oversight.vocabulary import Role

router = APIRouter(prefix="/audit", tags=["audit"])
history_router = APIRouter(tags=["audit"])

AuditReader = Annotated[Principal, Depends(require(Resource.audit, Action.read))]
AuditExporter = Annotated[Principal, Depends(require(Resource.audit, Action.export))]


def audit_filters(
    actor_id: RecordId | None = None,
    actor_type: Annotated[str | None, Query(max_length=16)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    occurred_from: Annotated[Instant | None, Query(alias="from")] = None,
    occurred_to: Annotated[Instant | None, Query(alias="to")] = None,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
    ip: Annotated[str | None, Query(max_length=45)] = None,
) -> AuditFilters:
    return AuditFilters(
        actor_id=actor_id, actor_type=actor_type, action=action, entity_type=entity_type,
        entity_id=entity_id, occurred_from=occurred_from, occurred_to=occurred_to,
        request_id=request_id, client_ip=ip,
    )  # fmt: skip


Filters = Annotated[AuditFilters, Depends(audit_filters)]


@router.get("")
def list_audit_events(
    session: SessionDep,
    _: AuditReader,
    filters: Filters,
    cursor: Annotated[EventId | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """The trail, newest first. Pass `next_cursor` back as `cursor` for the next page."""
    events = repository.list_events(session, filters, before_id=cursor, limit=limit)
    return AuditPage(
        items=[AuditEventRead.model_validate(event) for event in events],
        next_cursor=events[-1].id if len(events) == limit else None,
    )


_MEDIA_TYPES = {ExportFormat.csv: "text/csv", ExportFormat.jsonl: "application/x-ndjson"}


@router.get("/export", response_class=StreamingResponse)
def export_audit_events(
    session: SessionDep,
    reader: StreamingSessionDep,
    _: AuditExporter,
    filters: Filters,
    format: ExportFormat = ExportFormat.jsonl,
) -> StreamingResponse:
    """Stream every matching event in chain order; the export is itself an audit event."""
    record_event(
        session, "audit.exported", details={"format": format.value, "filters": filters.described()}
    )
    filename = f"oversight-audit.{format.value}"
    return StreamingResponse(
        export_lines(reader.connection(), filters, format),
        media_type=_MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class HistoryEntity(enum.StrEnum):
    customers = "customers"
    projects = "projects"
    project_costs = "project-costs"
    requests = "requests"
    work_logs = "work-logs"
    invoices = "invoices"
    users = "users"


_HISTORY: dict[HistoryEntity, tuple[type[Any], Resource]] = {
    HistoryEntity.customers: (Customer, Resource.customers),
    HistoryEntity.projects: (Project, Resource.projects),
    HistoryEntity.project_costs: (ProjectCost, Resource.project_costs),
    HistoryEntity.requests: (ServiceRequest, Resource.requests),
    HistoryEntity.work_logs: (WorkLog, Resource.work_logs),
    HistoryEntity.invoices: (Invoice, Resource.invoices),
    HistoryEntity.users: (User, Resource.users),
}


@history_router.get("/{entity}/{entity_id}/history")
def read_history(
    session: SessionDep, principal: CurrentPrincipal, entity: HistoryEntity, entity_id: RecordId
) -> list[AuditEventRead]:
    """Every version of one record: who changed what, when. Administrators see any record
    (deleted ones too); others only records in their own scope."""
    model, resource = _HISTORY[entity]
    if not is_allowed(principal.role, resource, Action.read):
        deny(
            session,
            principal,
            resource.value,
            "history",
            f"role {principal.role.value!r} may not read {resource.value}",
        )
    entity_type = POLICIES[model].entity_type
    label = entity_type.replace("_", " ")
    if principal.role is not Role.admin:
        # A record outside the scope is not found like a missing one, and audited as a probe.
        get_visible_or_raise(session, model, entity_id, label)
    events = repository.entity_history(session, entity_type, str(entity_id))
    if not events:
        raise NotFound(f"{label} {entity_id} not found")
    return [AuditEventRead.model_validate(event) for event in events]
