"""Page-number pagination and whitelisted sorting, shared by every list endpoint.

No web framework here (repositories, services and CLI commands use it): the routes' query
parameters (`PageQuery`, `UnsortedPageQuery`, `SortQuery`) are in `page_query`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, UnaryExpression, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from oversight.errors import InvalidInput

T = TypeVar("T")
M = TypeVar("M")
S = TypeVar("S", bound=BaseModel)


MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class PageParams:
    """The page a list asks for."""

    page: int = 1
    page_size: int = 50
    sort: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(BaseModel, Generic[T]):
    """The one shape of every list of the API (the audit trail's cursor pages excepted):
    `items` of page `page` (1-based) of `page_size`, out of `total` matching items."""

    items: list[T]
    page: int
    page_size: int
    total: int


def order_by_clauses(
    sort: str | None,
    allowed: Mapping[str, QueryableAttribute[Any] | ColumnElement[Any]],
    default: str,
    tiebreaker: QueryableAttribute[Any] | ColumnElement[Any],
) -> list[UnaryExpression[Any]]:
    """ORDER BY clauses for a `sort` string; InvalidInput naming the allowed fields otherwise."""
    clauses = []
    for item in (sort or default).split(","):
        name = item.removeprefix("-")
        column = allowed.get(name)
        if column is None:
            raise InvalidInput(
                f"cannot sort by {name!r}; sortable fields: {', '.join(sorted(allowed))}",
                details={"field": "sort"},
            )
        clauses.append(column.desc() if item.startswith("-") else column.asc())
    clauses.append(tiebreaker.asc())
    return clauses


def fetch_page(
    session: Session, statement: Select[M], params: PageParams
) -> tuple[Sequence[M], int]:
    """One page of `statement`'s rows and the total number of rows it matches."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.offset(params.offset).limit(params.page_size)).all()
    return rows, int(total or 0)


def slice_page(rows: Sequence[M], params: PageParams) -> tuple[Sequence[M], int]:
    """One page of rows already filtered in Python (e.g. after decryption), and their number."""
    return rows[params.offset : params.offset + params.page_size], len(rows)


def page_of(schema: type[S], rows: Sequence[Any], total: int, params: PageParams) -> Page[S]:
    """A Page of `schema` items read from ORM rows."""
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )
