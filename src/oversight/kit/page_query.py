"""The FastAPI query parameters of a list (`page`, `page_size`, `sort`): what routes declare.
Apart from `pagination` so that the repositories and services sharing its helpers do not
import FastAPI into every CLI command and job."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from oversight.kit.pagination import MAX_PAGE_SIZE, PageParams

SortQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^-?[a-z_]+(,-?[a-z_]+)*$",
        description="comma-separated fields, '-' for descending, e.g. -created_at,number",
    ),
]
"""`sort` of a list (or of its export): unknown fields are refused naming the sortable ones."""


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="items per page")] = 50,
    sort: SortQuery = None,
) -> PageParams:
    """The page asked for (`async`: pure computation, no worker-thread hand-off)."""
    return PageParams(page=page, page_size=page_size, sort=sort)


PageQuery = Annotated[PageParams, Depends(page_params)]


async def unsorted_page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="items per page")] = 50,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


UnsortedPageQuery = Annotated[PageParams, Depends(unsorted_page_params)]
"""`page`/`page_size` of a list in one fixed order (a record's history, a request's
approvals): no `sort` is offered, so none is silently ignored."""
