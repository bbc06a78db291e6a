"""The query parameters of the invoice list and its CSV export (`oversight.exports`), parsed
once: the same filters for both, so an export is exactly the list without pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from oversight.invoices.models import InvoiceStatus
from oversight.invoices.repository import InvoiceFilters
from oversight.kit.ids import RecordId


async def invoice_filters(
    customer_id: Annotated[RecordId | None, Query()] = None,
    project_id: Annotated[RecordId | None, Query()] = None,
    invoice_status: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    overdue: Annotated[
        bool | None, Query(description="issued and past due (company time zone)")
    ] = None,
) -> InvoiceFilters:
    """The filters of the invoice list and its CSV export but the issue range (`from`/`to`,
    which the list also takes under its former names for one release)."""
    return InvoiceFilters(
        customer_id=customer_id, project_id=project_id, status=invoice_status, overdue=overdue
    )


InvoiceFiltersDep = Annotated[InvoiceFilters, Depends(invoice_filters)]
