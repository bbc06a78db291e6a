"""The permission table: which role may do what to which resource. The one place to look.

Row scope (which records) is separate: see `oversight.auth.scope`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from oversight.vocabulary import Role


class Resource(enum.StrEnum):
    customers = "customers"
    projects = "projects"
    project_costs = "project_costs"
    requests = "requests"
    work_logs = "work_logs"
    invoices = "invoices"
    users = "users"
    # the dispatchers' engineer directory: id, name and open load, nothing personal
    engineers = "engineers"
    # KPI analytics (read only): service desk, money, and people's workload
    analytics_desk = "analytics_desk"
    analytics_finance = "analytics_finance"
    analytics_people = "analytics_people"
    audit = "audit"
    # the alert hub: alerts, on-call rota and statistics (read); acknowledge and silence;
    # the stored on-call rotation (update)
    alerts = "alerts"
    # files attached to service requests (photos, signed acts)
    attachments = "attachments"
    # backups: the status of the newest verified backup and the last drill (read)
    backups = "backups"


class Action(enum.StrEnum):
    read = "read"
    create = "create"
    update = "update"
    # service request workflow
    assign = "assign"
    start = "start"
    complete = "complete"
    approve = "approve"
    reject = "reject"
    close = "close"
    reopen = "reopen"
    cancel = "cancel"
    # invoice workflow
    issue = "issue"
    mark_paid = "mark_paid"
    # audit trail
    export = "export"
    # alert hub
    acknowledge = "acknowledge"
    silence = "silence"
    # attachments (soft delete)
    delete = "delete"


R, C, U = Action.read, Action.create, Action.update
_ALL_REQUEST_ACTIONS = frozenset(
    {R, C, U, Action.assign, Action.start, Action.complete, Action.approve, Action.reject}
    | {Action.close, Action.reopen, Action.cancel}
)
_ALL_INVOICE_ACTIONS = frozenset({R, C, U, Action.issue, Action.mark_paid, Action.cancel})
_READ = frozenset({R})
_WRITE = frozenset({R, C, U})
_ON_CALL = frozenset({R, Action.acknowledge, Action.silence})
_ATTACH = frozenset({R, C, Action.delete})

PERMISSIONS: Mapping[Role, Mapping[Resource, frozenset[Action]]] = {
    Role.admin: {
        Resource.customers: _WRITE,
        Resource.projects: _WRITE,
        Resource.project_costs: _WRITE,
        Resource.requests: _ALL_REQUEST_ACTIONS,
        Resource.work_logs: _WRITE,
        Resource.invoices: _ALL_INVOICE_ACTIONS,
        Resource.users: _WRITE,
        Resource.engineers: _READ,
        Resource.audit: frozenset({R, Action.export}),
        Resource.attachments: _ATTACH,
        Resource.analytics_desk: _READ,
        Resource.analytics_finance: _READ,
        Resource.analytics_people: _READ,
        Resource.alerts: _ON_CALL | {U},
        Resource.backups: _READ,
    },
    Role.director: {resource: _READ for resource in Resource if resource is not Resource.audit},
    Role.viewer: {
        resource: _READ
        for resource in Resource
        if resource not in {Resource.users, Resource.audit, Resource.engineers, Resource.backups}
    },
    Role.accountant: {
        Resource.customers: _WRITE,
        Resource.projects: _READ,
        Resource.project_costs: _WRITE,
        Resource.requests: _READ,
        Resource.work_logs: _READ,
        Resource.invoices: _ALL_INVOICE_ACTIONS,
        Resource.attachments: _READ,
        Resource.analytics_finance: _READ,
    },
    Role.project_manager: {
        Resource.customers: _READ,
        Resource.projects: _WRITE,  # projects they manage themselves (dispatch)
        Resource.project_costs: _WRITE,
        Resource.requests: _ALL_REQUEST_ACTIONS - {Action.approve, Action.reject},
        Resource.engineers: _READ,
        Resource.work_logs: _READ,
        Resource.invoices: frozenset({R, C, U}),
        Resource.attachments: _ATTACH,
        Resource.analytics_desk: _READ,
        Resource.analytics_finance: _READ,
        Resource.analytics_people: _READ,
        Resource.alerts: _ON_CALL,
    },
    Role.engineer: {
        Resource.customers: _READ,
        Resource.projects: _READ,
        Resource.requests: frozenset({R, Action.start, Action.complete}),
        Resource.work_logs: _WRITE,
        Resource.attachments: _ATTACH,
        Resource.analytics_people: _READ,
    },
    Role.client: {
        Resource.customers: _READ,
        Resource.projects: _READ,
        Resource.requests: frozenset(
            {R, C, Action.approve, Action.reject, Action.reopen, Action.cancel}
        ),
        Resource.invoices: _READ,
        Resource.attachments: _ATTACH,
        Resource.analytics_desk: _READ,
    },
}


def is_allowed(role: Role, resource: Resource, action: Action) -> bool:
    return action in PERMISSIONS.get(role, {}).get(resource, frozenset())


# --- Record history (`GET /{resource}/{id}/history`) -------------------------------------------


class HistoryActor(enum.StrEnum):
    """How the author of a change is shown in a record's history."""

    identity = "identity"  # actor_type, actor_role, actor_id and actor_name (the username)
    name = "name"  # actor_type, actor_role and actor_name
    role = "role"  # actor_type and actor_role only: "an engineer", "a project manager"


@dataclass(frozen=True, slots=True)
class HistoryView:
    """What one role sees of a record's history (once it may read the record at all).

    `forensic`: every event about the record — refused access, out-of-scope probes by other
    users, logins — each with client IP, user agent, request id, chain position and hash:
    the audit trail's own view, only for roles that may read the trail. Without it: only the
    changes to the record (`<entity>.create/update/delete` and workflow actions such as
    `service_request.reject`), with when, what, why and the author as `actor` says; never
    anyone's IP, user agent or request id.
    """

    actor: HistoryActor
    forensic: bool = False


HISTORY_VIEWS: Mapping[Role, HistoryView] = {
    Role.admin: HistoryView(HistoryActor.identity, forensic=True),
    Role.director: HistoryView(HistoryActor.identity),  # reads users anyway
    Role.accountant: HistoryView(HistoryActor.name),
    Role.project_manager: HistoryView(HistoryActor.name),
    Role.viewer: HistoryView(HistoryActor.name),
    Role.engineer: HistoryView(HistoryActor.name),
    Role.client: HistoryView(HistoryActor.role),  # staff by function, never by name
}
