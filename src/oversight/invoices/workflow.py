"""The invoice life cycle as data: which action takes an invoice from which status to which.

    draft --issue--> issued --mark-paid--> paid
      |                |
      +----cancel------+----cancel----> cancelled

Only a draft may be edited. Paid and cancelled invoices are final.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from oversight.errors import Conflict
from oversight.invoices.models import Invoice, InvoiceStatus


class InvoiceAction(enum.StrEnum):
    """Workflow actions, named as their endpoints: POST /invoices/{id}/<action>."""

    issue = "issue"
    mark_paid = "mark-paid"
    cancel = "cancel"


TRANSITIONS: Mapping[InvoiceStatus, Mapping[InvoiceAction, InvoiceStatus]] = {
    InvoiceStatus.draft: {
        InvoiceAction.issue: InvoiceStatus.issued,
        InvoiceAction.cancel: InvoiceStatus.cancelled,
    },
    InvoiceStatus.issued: {
        InvoiceAction.mark_paid: InvoiceStatus.paid,
        InvoiceAction.cancel: InvoiceStatus.cancelled,
    },
    InvoiceStatus.paid: {},
    InvoiceStatus.cancelled: {},
}
EDITABLE_STATUSES = frozenset({InvoiceStatus.draft})


def allowed_actions(status: InvoiceStatus) -> list[InvoiceAction]:
    return list(TRANSITIONS[status])


def _describe(invoice: Invoice) -> str:
    actions = ", ".join(allowed_actions(invoice.status)) or "none"
    return f"invoice {invoice.number} is {invoice.status.value}; allowed actions: {actions}"


def target_status(invoice: Invoice, action: InvoiceAction) -> InvoiceStatus:
    """The status `action` leads to from the invoice's current one; Conflict if none."""
    target = TRANSITIONS[invoice.status].get(action)
    if target is None:
        raise Conflict(f"cannot {action.value.replace('-', ' ')}: {_describe(invoice)}")
    return target


def ensure_editable(invoice: Invoice) -> None:
    if invoice.status not in EDITABLE_STATUSES:
        raise Conflict(
            f"cannot edit: invoice {invoice.number} is {invoice.status.value}; "
            "only draft invoices can be edited"
        )
