"""The query parameters of the request list and its CSV export (`oversight.exports`), parsed
once: the same filters for both, so an export is exactly the list without pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from oversight.kit.ids import RecordId
from oversight.service_requests.models import RequestStatus
from oversight.service_requests.repository import RequestFilters
from oversight.vocabulary import Priority


async def request_filters(
    status_: Annotated[
        list[RequestStatus] | None, Query(alias="status", description="may repeat")
    ] = None,
    priority: Annotated[list[Priority] | None, Query(description="may repeat")] = None,
    customer_id: RecordId | None = None,
    project_id: RecordId | None = None,
    assigned_engineer_id: RecordId | None = None,
    overdue: Annotated[
        bool | None, Query(description="true: open and past the resolution due date")
    ] = None,
    unassigned: Annotated[
        bool | None,
        Query(
            description="true: the unassigned inbox (open requests with no project or no "
            "engineer); false: every other request"
        ),
    ] = None,
    search: Annotated[
        str | None, Query(max_length=100, description="part of the title or the number")
    ] = None,
) -> RequestFilters:
    """The filters of the request list and its CSV export but the creation range (`from`/
    `to`, which the list also takes under its former names for one release)."""
    return RequestFilters(
        status=status_ or (),
        priority=priority or (),
        customer_id=customer_id,
        project_id=project_id,
        assigned_engineer_id=assigned_engineer_id,
        overdue=overdue,
        unassigned=unassigned,
        search=search,
    )


RequestFiltersDep = Annotated[RequestFilters, Depends(request_filters)]
