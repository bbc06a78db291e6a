"""How the audit trail treats a change: secrets are recorded as changed without values, PII
is masked, noise is skipped. Which models it captures, under which entity name, each model
declares itself (`__traits__ = ModelTraits(audit=Audited(...))`, see oversight.db.traits).

Encrypted fields (oversight.db.encrypted) are recorded by the capture as `ENCRYPTED_CHANGE`
under the field's name, whatever the policy says: the trail holds neither their ciphertext nor
their plaintext."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from oversight.db.traits import Audited, audit_policy_of, registries

AuditPolicy = Audited
"""How a model is audited: declared on the model (`__traits__`, see oversight.db.traits)."""

ENCRYPTED_CHANGE = {"changed": True}


def policy_for(obj: object) -> AuditPolicy | None:
    """The audit policy of `obj`'s model; None when its model is not audited."""
    return audit_policy_of(type(obj))


def audited_tables() -> frozenset[str]:
    """The tables of every audited model (bulk statements on them are refused)."""
    return registries().audited_tables


def entity_type_of(model: type[Any]) -> str:
    """The name a model's records carry in the trail (its table name when not audited)."""
    policy = audit_policy_of(model)
    return policy.entity_type if policy is not None else str(model.__tablename__)


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
