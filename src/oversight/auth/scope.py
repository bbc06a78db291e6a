"""Row scope: the one place that decides which records a principal can see.

Every ORM SELECT issued by a session bound to a principal gets the principal's criteria for
each scoped model (`with_loader_criteria`), so a handler cannot forget them: an out-of-scope
record is simply not found. Sessions without a principal (CLI, jobs) are unscoped.

Which models are scoped, each model declares (`__traits__ = ModelTraits(scope=SCOPED, ...)`,
see oversight.db.traits); this module writes the criteria per role. A restricted role sees
nothing of a scoped model it has no criteria for, and a test requires criteria for every
scoped model and restricted role. Scope decisions made elsewhere go through the helpers
below: `sees_everything` (analytics' cache sharing), `visible_engineers` (the people
analytics lists), `get_history_visible_or_raise` (the administrators' view of history),
`inbox_clause` (the dispatchers' unassigned inbox, also the `?unassigned=` filter) and
`open_loads` (the engineer directory's load counts, deliberately over every request).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, event, false, func, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from oversight.audit.events import record_event
from oversight.audit.policy import entity_type_of
from oversight.auth.models import User
from oversight.auth.principal import (
    PRINCIPAL_KEY,
    Principal,
    bind_principal,
    bound_principal,
)
from oversight.customers.models import Customer
from oversight.db.traits import registries
from oversight.errors import NotFound
from oversight.files.models import Attachment
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import CompletionApproval, ServiceRequest, WorkLog
from oversight.service_requests.workflow import OPEN_STATUSES
from oversight.vocabulary import Role

__all__ = [
    "PRINCIPAL_KEY",
    "UNRESTRICTED_ROLES",
    "UNSCOPED",
    "bind_principal",
    "bound_principal",
    "criteria_for",
    "get_history_visible_or_raise",
    "get_visible_or_raise",
    "inbox_clause",
    "install_row_scope",
    "open_loads",
    "sees_everything",
    "visible_engineers",
    "written_criteria",
]

UNSCOPED = "oversight_unscoped"  # execution option: this one query ignores the row scope
T = TypeVar("T")
UNRESTRICTED_ROLES = frozenset({Role.admin, Role.director, Role.accountant, Role.viewer})


def sees_everything(principal: Principal | None) -> bool:
    """True when no row scope applies: an unscoped session (CLI, jobs) or an unrestricted
    role. Callers that share results between such principals (the KPI cache) ask this."""
    return principal is None or principal.role in UNRESTRICTED_ROLES


def criteria_for(principal: Principal) -> dict[type[Any], ColumnElement[bool]]:
    """The principal's criteria per scoped model; empty for unrestricted roles. A scoped
    model without written criteria is hidden from restricted roles (fails closed)."""
    if principal.role in UNRESTRICTED_ROLES:
        return {}
    hidden: dict[type[Any], ColumnElement[bool]] = {model: false() for model in registries().scoped}
    return hidden | written_criteria(principal)


def written_criteria(principal: Principal) -> dict[type[Any], ColumnElement[bool]]:
    """The criteria written here for the principal's role (a test checks they cover every
    scoped model for every restricted role)."""
    uid, cid = principal.user_id, principal.customer_id
    if principal.role is Role.client:
        own_requests = select(ServiceRequest.id).where(ServiceRequest.customer_id == cid)
        return {
            Customer: Customer.id == cid,
            Project: Project.customer_id == cid,
            ProjectCost: false(),
            ServiceRequest: ServiceRequest.customer_id == cid,
            CompletionApproval: CompletionApproval.request_id.in_(own_requests),
            WorkLog: false(),
            Invoice: (Invoice.customer_id == cid) & (Invoice.status != InvoiceStatus.draft),
            Attachment: Attachment.request_id.in_(own_requests),
        }
    if principal.role is Role.engineer:
        assigned = select(ServiceRequest.id).where(ServiceRequest.assigned_engineer_id == uid)
        return {
            Customer: Customer.id.in_(
                select(ServiceRequest.customer_id).where(ServiceRequest.assigned_engineer_id == uid)
            ),
            Project: Project.id.in_(
                select(ServiceRequest.project_id).where(ServiceRequest.assigned_engineer_id == uid)
            ),
            ProjectCost: false(),
            ServiceRequest: ServiceRequest.assigned_engineer_id == uid,
            CompletionApproval: CompletionApproval.request_id.in_(assigned),
            WorkLog: WorkLog.engineer_id == uid,
            Invoice: false(),
            Attachment: Attachment.request_id.in_(assigned),
        }
    if principal.role is Role.project_manager:
        managed = select(Project.id).where(Project.manager_id == uid)
        managed_requests = select(ServiceRequest.id).where(ServiceRequest.project_id.in_(managed))
        requests: ColumnElement[bool] = ServiceRequest.project_id.in_(managed)
        customers: ColumnElement[bool] = Customer.id.in_(
            select(Project.customer_id).where(Project.manager_id == uid)
        )
        if principal.dispatcher:
            # The unassigned inbox, and the customers it comes from (to attach a request to
            # one of their projects, or create one for them).
            inbox = select(ServiceRequest.customer_id).where(inbox_clause())
            requests = or_(requests, inbox_clause())
            customers = or_(customers, Customer.id.in_(inbox))
        return {
            Customer: customers,
            Project: Project.manager_id == uid,
            ProjectCost: ProjectCost.project_id.in_(managed),
            ServiceRequest: requests,
            CompletionApproval: CompletionApproval.request_id.in_(managed_requests),
            WorkLog: WorkLog.request_id.in_(managed_requests),
            Invoice: Invoice.project_id.in_(managed),
            Attachment: Attachment.request_id.in_(managed_requests),
        }
    # Unrestricted roles have no criteria; a role this table does not know sees nothing
    # rather than everything (criteria_for hides every scoped model from it).
    return {}


def inbox_clause() -> ColumnElement[bool]:
    """The unassigned inbox: open requests with no project or no engineer. Dispatchers
    (`Principal.dispatcher`) see it besides their own projects' requests."""
    return ServiceRequest.status.in_(OPEN_STATUSES) & or_(
        ServiceRequest.project_id.is_(None), ServiceRequest.assigned_engineer_id.is_(None)
    )


def open_loads(session: Session, engineer_ids: Collection[int]) -> dict[int, int]:
    """Each engineer's open requests (assigned, in progress or awaiting approval), counted
    over every request whatever the caller's scope: a dispatcher needs an engineer's whole
    load, and gets a count per engineer, never a record."""
    if not engineer_ids:
        return {}
    statement = (
        select(ServiceRequest.assigned_engineer_id, func.count())
        .where(
            ServiceRequest.assigned_engineer_id.in_(engineer_ids),
            ServiceRequest.status.in_(OPEN_STATUSES),
        )
        .group_by(ServiceRequest.assigned_engineer_id)
    )
    rows = session.execute(statement, execution_options={UNSCOPED: True}).all()
    return {engineer: count for engineer, count in rows if engineer is not None}


def visible_engineers(session: Session, active: Collection[int]) -> ColumnElement[bool]:
    """Which engineers a people report of the session's principal may list (users are
    exempt from row scope; this is their one scope decision): those in `active` (ids found
    in the rows the principal can see) and, for principals who see everything, every active
    engineer; a restricted principal also sees themself when they are an engineer."""
    principal = bound_principal(session)
    listed: ColumnElement[bool] = User.id.in_(active)
    if sees_everything(principal):
        return or_(listed, (User.role == Role.engineer) & User.is_active)
    assert principal is not None
    return or_(listed, (User.id == principal.user_id) & (User.role == Role.engineer))


def get_visible_or_raise(session: Session, model: type[T], ident: int, label: str) -> T:
    """The record if it exists and is in the caller's scope; NotFound otherwise — the same
    answer for a missing record and a hidden one. The hidden case is recorded in the audit
    trail (`access.out_of_scope`), since probing other customers' ids is worth knowing about."""
    found = session.get(model, ident)
    if found is not None:
        return found
    if bound_principal(session) is not None:
        exists = session.execute(
            select(model.id).where(model.id == ident),  # type: ignore[attr-defined]
            execution_options={UNSCOPED: True},
        ).first()
        if exists is not None:
            record_event(
                session,
                "access.out_of_scope",
                entity_type=entity_type_of(model),
                entity_id=ident,
                survive_rollback=True,
            )
    raise NotFound(f"{label} {ident} not found")


def get_history_visible_or_raise(
    session: Session, principal: Principal, model: type[Any], ident: int, label: str
) -> None:
    """Whether the principal may read the history of record `ident`: administrators may read
    any record's (deleted ones too: the trail outlives the record); anyone else only a record
    in their scope, NotFound (audited as a probe) otherwise."""
    if principal.role is Role.admin:
        return
    get_visible_or_raise(session, model, ident, label)


_SCOPE_OPTIONS = "oversight.scope_options"


def _apply_row_scope(state: ORMExecuteState) -> None:
    principal = bound_principal(state.session)
    if (
        principal is None
        or not state.is_select
        or state.is_column_load
        or state.execution_options.get(UNSCOPED)
    ):
        return
    # The options depend on the principal only: built once per bound principal and kept in
    # the session beside it (binding another principal builds them anew).
    bound: tuple[Principal, tuple[Any, ...]] | None = state.session.info.get(_SCOPE_OPTIONS)
    if bound is None or bound[0] is not principal:
        criteria = criteria_for(principal)
        options = tuple(with_loader_criteria(model, clause) for model, clause in criteria.items())
        bound = state.session.info[_SCOPE_OPTIONS] = (principal, options)
    if bound[1]:
        state.statement = state.statement.options(*bound[1])


def install_row_scope() -> None:
    """Register the scope hook on every Session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _apply_row_scope):
        event.listen(Session, "do_orm_execute", _apply_row_scope)
