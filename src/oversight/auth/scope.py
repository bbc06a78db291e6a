"""Row scope: the one place that decides which records a principal can see.

Every ORM SELECT issued by a session bound to a principal gets the principal's criteria for
each scoped model (`with_loader_criteria`), so a handler cannot forget them: an out-of-scope
record is simply not found. Sessions without a principal (CLI, jobs) are unscoped.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, event, false, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from oversight.audit.events import record_event
from oversight.audit.policy import POLICIES
from oversight.auth.principal import (
    PRINCIPAL_KEY,
    Principal,
    bind_principal,
    bound_principal,
)
from oversight.customers.models import Customer
from oversight.errors import NotFound
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import CompletionApproval, ServiceRequest, WorkLog
from oversight.vocabulary import Role

__all__ = [
    "PRINCIPAL_KEY",
    "UNRESTRICTED_ROLES",
    "UNSCOPED",
    "bind_principal",
    "bound_principal",
    "get_visible_or_raise",
    "install_row_scope",
]

UNSCOPED = "oversight_unscoped"  # execution option: this one query ignores the row scope
T = TypeVar("T")
UNRESTRICTED_ROLES = frozenset({Role.admin, Role.director, Role.accountant, Role.viewer})


def _criteria(principal: Principal) -> dict[type[Any], ColumnElement[bool]]:
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
        }
    if principal.role is Role.project_manager:
        managed = select(Project.id).where(Project.manager_id == uid)
        managed_requests = select(ServiceRequest.id).where(ServiceRequest.project_id.in_(managed))
        return {
            Customer: Customer.id.in_(select(Project.customer_id).where(Project.manager_id == uid)),
            Project: Project.manager_id == uid,
            ProjectCost: ProjectCost.project_id.in_(managed),
            ServiceRequest: ServiceRequest.project_id.in_(managed),
            CompletionApproval: CompletionApproval.request_id.in_(managed_requests),
            WorkLog: WorkLog.request_id.in_(managed_requests),
            Invoice: Invoice.project_id.in_(managed),
        }
    if principal.role in UNRESTRICTED_ROLES:
        return {}
    # A role this table does not know sees nothing rather than everything.
    return {
        model: false()
        for model in (
            Customer,
            Project,
            ProjectCost,
            ServiceRequest,
            CompletionApproval,
            WorkLog,
            Invoice,
        )
    }


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
            policy = POLICIES.get(model)
            record_event(
                session,
                "access.out_of_scope",
                entity_type=policy.entity_type if policy else model.__tablename__,  # type: ignore[attr-defined]
                entity_id=ident,
                survive_rollback=True,
            )
    raise NotFound(f"{label} {ident} not found")


def _apply_row_scope(state: ORMExecuteState) -> None:
    principal = bound_principal(state.session)
    if (
        principal is None
        or not state.is_select
        or state.is_column_load
        or state.execution_options.get(UNSCOPED)
    ):
        return
    criteria = _criteria(principal)
    if criteria:
        state.statement = state.statement.options(
            *(with_loader_criteria(model, clause) for model, clause in criteria.items())
        )


def install_row_scope() -> None:
    """Register the scope hook on every Session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _apply_row_scope):
        event.listen(Session, "do_orm_execute", _apply_row_scope)
