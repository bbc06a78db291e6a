"""Which models the audit trail captures, under which entity name, and how each field is
treated: secrets are recorded as changed without values, PII is masked, noise is skipped.

Encrypted fields (oversight.db.encrypted) are recorded by the capture as `ENCRYPTED_CHANGE`
under the field's name, whatever the policy says: the trail holds neither their ciphertext nor
their plaintext."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from oversight.auth.models import User
from oversight.customers.models import Customer
from oversight.invoices.models import Invoice
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import CompletionApproval, ServiceRequest, WorkLog


@dataclass(frozen=True, slots=True)
class AuditPolicy:
    entity_type: str
    secret: frozenset[str] = field(default_factory=frozenset)
    pii: frozenset[str] = field(default_factory=frozenset)
    skip: frozenset[str] = frozenset({"updated_at"})
    label: str = "id"


POLICIES: dict[type[Any], AuditPolicy] = {
    Customer: AuditPolicy("customer"),
    Project: AuditPolicy("project", label="code"),
    ProjectCost: AuditPolicy("project_cost"),
    ServiceRequest: AuditPolicy("service_request", label="number"),
    CompletionApproval: AuditPolicy("completion_approval"),
    WorkLog: AuditPolicy("work_log"),
    Invoice: AuditPolicy("invoice", label="number"),
    User: AuditPolicy(
        "user",
        secret=frozenset({"password_hash"}),
    ),
}
ENCRYPTED_CHANGE = {"changed": True}
AUDITED_TABLES = frozenset(model.__tablename__ for model in POLICIES)
ENTITY_TYPES = {policy.entity_type: model for model, policy in POLICIES.items()}


def policy_for(obj: object) -> AuditPolicy | None:
    return POLICIES.get(type(obj))


def mask(value: Any) -> Any:
    """Enough of a personal value to tell two apart, not enough to read it."""
    if value is None:
        return None
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    if sum(ch.isdigit() for ch in text) >= 5:
        return f"***{text[-2:]}"
    return " ".join(f"{word[:1]}***" for word in text.split()) or "***"


def plain(value: Any) -> Any:
    """A JSON-ready form of a column value (Decimal and dates as text, enums as values)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def render(policy: AuditPolicy, name: str, old: Any, new: Any) -> Any:
    """How one field's change enters the trail."""
    if name in policy.secret:
        return {"changed": True}
    if name in policy.pii:
        return [mask(old), mask(new)]
    return [plain(old), plain(new)]
