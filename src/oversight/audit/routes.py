from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from oversight.audit import history, repository
from oversight.audit.events import record_event
from oversight.audit.export import ExportFormat, export_lines
from oversight.audit.repository import AuditFilters
from oversight.audit.schemas import AuditEventRead, AuditPage, HistoryEntryRead
from oversight.auth.dependencies import (
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    StreamingSessionDep,
    deny,
    require,
)
from oversight.auth.permissions import HISTORY_VIEWS, Action, Resource, is_allowed
from oversight.auth.principal import Principal
from oversight.auth.scope import get_history_visible_or_raise
from oversight.db.traits import Audited, registries
from oversight.errors import NotFound
from oversight.kit.ids import EventId, RecordId
from oversight.kit.page_query import UnsortedPageQuery
from oversight.kit.pagination import Page, slice_page
from oversight.kit.ranges import DateRangeQuery
from oversight.kit.routing import OffloadedRoute

router = APIRouter(prefix="/audit", tags=["audit"], route_class=OffloadedRoute)
history_router = APIRouter(tags=["audit"], route_class=OffloadedRoute)

AuditReader = Annotated[Principal, Depends(require(Resource.audit, Action.read))]
AuditExporter = Annotated[Principal, Depends(require(Resource.audit, Action.export))]


async def audit_filters(
    settings: SettingsDep,
    occurred: DateRangeQuery,
    actor_id: RecordId | None = None,
    actor_type: Annotated[str | None, Query(max_length=16)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
    ip: Annotated[str | None, Query(max_length=45)] = None,
) -> AuditFilters:
    """The filters of the trail and its export; `from`/`to` on the time of the event (a date
    is that local day of the company's time zone)."""
    occurred_from, occurred_to = occurred.instants(settings.company.calendar.timezone)
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


def history_routes() -> dict[str, tuple[type[Any], Audited, Resource]]:
    """Path segment -> (model, its audit policy, the resource whose read right opens it),
    for every audited model that declares `history=` (oversight.db.traits)."""
    found = {}
    for model, policy in registries().audited.items():
        if policy.history is not None:
            resource = Resource(policy.history)
            found[resource.value.replace("_", "-")] = (model, policy, resource)
    return found


_HISTORY = history_routes()
if set(_HISTORY) != {entity.value for entity in HistoryEntity}:
    raise RuntimeError(
        "HistoryEntity must list exactly the history routes the models declare: "
        + ", ".join(sorted(_HISTORY))
    )


@history_router.get("/{entity}/{entity_id}/history", response_model_exclude_unset=True)
def read_history(
    session: SessionDep,
    principal: CurrentPrincipal,
    entity: HistoryEntity,
    entity_id: RecordId,
    params: UnsortedPageQuery,
) -> Page[HistoryEntryRead]:
    """Every version of one record, oldest first, a page at a time: who changed what, when.
    Administrators see any record
    (deleted ones too) and every event about it with its origin (IP, user agent, request id);
    others only records in their own scope, only the changes, and the author as their role's
    history view says (README, "Record history by role")."""
    model, policy, resource = _HISTORY[entity.value]
    if not is_allowed(principal.role, resource, Action.read):
        deny(
            session,
            principal,
            resource.value,
            "history",
            f"role {principal.role.value!r} may not read {resource.value}",
        )
    label = policy.entity_type.replace("_", " ")
    # A record outside the scope is not found like a missing one, and audited as a probe.
    get_history_visible_or_raise(session, principal, model, entity_id, label)
    entries = history.record_history(
        session, policy.entity_type, str(entity_id), HISTORY_VIEWS[principal.role]
    )
    if not entries:
        raise NotFound(f"{label} {entity_id} not found")
    shown, total = slice_page(entries, params)
    return Page[HistoryEntryRead](
        items=list(shown), page=params.page, page_size=params.page_size, total=total
    )
