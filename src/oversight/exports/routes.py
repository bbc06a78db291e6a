"""CSV downloads of the desk's records: `GET /requests/export.csv`, `GET /invoices/export.csv`.

Each takes its list's filters and `sort` (no pages), reads the rows through the caller's row
scope on a streaming session, writes them through `CsvWriter` (formulas neutralised) in
batches, and is an audit event with the query it was asked with. A package of its own, above
the audit trail it writes to and the domains it reads (the layer map in pyproject.toml)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from oversight.audit.events import record_event
from oversight.auth.dependencies import SessionDep, SettingsDep, StreamingSessionDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal, bind_principal
from oversight.invoices import exports as invoice_exports
from oversight.invoices import service as invoice_service
from oversight.invoices.filters import InvoiceFiltersDep
from oversight.kit.clock import utcnow
from oversight.kit.page_query import SortQuery
from oversight.kit.ranges import DateRangeQuery
from oversight.kit.spreadsheet import csv_chunks, csv_response, query_described
from oversight.service_requests import exports as request_exports
from oversight.service_requests.filters import RequestFiltersDep

router = APIRouter(tags=["exports"])

RequestReader = Annotated[Principal, Depends(require(Resource.requests, Action.read))]
InvoiceReader = Annotated[Principal, Depends(require(Resource.invoices, Action.read))]


def _audited(session: SessionDep, request: Request, action: str, entity_type: str) -> None:
    record_event(
        session,
        action,
        entity_type=entity_type,
        details={"format": "csv", "query": query_described(request.query_params.multi_items())},
    )


@router.get(
    "/requests/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the requests as CSV"}},
)
def export_requests(
    request: Request,
    session: SessionDep,
    reader: StreamingSessionDep,
    settings: SettingsDep,
    principal: RequestReader,
    filters: RequestFiltersDep,
    created: DateRangeQuery,
    sort: SortQuery = None,
) -> StreamingResponse:
    """Download every request the list would show with the same filters (all pages) as CSV,
    in the caller's scope, streamed. `from`/`to` filter on the creation time. Cells a
    spreadsheet would run as a formula are prefixed with `'`. Audited as
    `service_request.exported` with the filters."""
    bind_principal(reader, principal)
    filters = filters.created_within(*created.instants(settings.company.calendar.timezone))
    rows = request_exports.export_rows(reader, filters, sort, now=utcnow())
    _audited(session, request, "service_request.exported", "service_request")
    return csv_response(csv_chunks(request_exports.COLUMNS, rows), "oversight-requests.csv")


@router.get(
    "/invoices/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the invoices as CSV"}},
)
def export_invoices(
    request: Request,
    session: SessionDep,
    reader: StreamingSessionDep,
    settings: SettingsDep,
    principal: InvoiceReader,
    filters: InvoiceFiltersDep,
    issued: DateRangeQuery,
    sort: SortQuery = None,
) -> StreamingResponse:
    """Download every invoice the list would show with the same filters (all pages) as CSV,
    in the caller's scope, streamed; amounts with two decimals in the company currency.
    `from`/`to` filter on the issue date. Cells a spreadsheet would run as a formula are
    prefixed with `'`. Audited as `invoice.exported` with the filters."""
    bind_principal(reader, principal)
    today = invoice_service.company_today(settings)
    filters = filters.issued_within(*issued.days(settings.company.calendar.timezone))
    rows = invoice_exports.export_rows(reader, filters, sort, today=today)
    _audited(session, request, "invoice.exported", "invoice")
    return csv_response(csv_chunks(invoice_exports.COLUMNS, rows), "oversight-invoices.csv")
