"""Sorting, for every list of the API at once: each field a repository declares sortable
sorts both ways, and any other field is refused naming the sortable ones.

The cases come from the repositories' own tables of sortable fields, so a field added there
is tested here without a new test; a list added to the API needs one `Listing` below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from builders import (
    make_customer,
    make_invoice,
    make_project,
    make_project_cost,
    make_request,
    make_user,
    make_work_log,
)
from oversight.customers import repository as customer_repository
from oversight.invoices import repository as invoice_repository
from oversight.invoices.models import InvoiceStatus
from oversight.projects import repository as project_repository
from oversight.projects.models import CostCategory, ProjectStatus
from oversight.service_requests import repository as request_repository
from oversight.service_requests.models import RequestStatus
from oversight.users import repository as user_repository
from oversight.vocabulary import Priority, Role

Values = dict[str, tuple[Any, Any, Any]]
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Listing:
    """One list endpoint: its path, the repository's sortable fields, a builder of one
    record, and three ascending values for each field that needs set values (`n` keeps
    unique ones apart between tests); other fields ascend in build order (ids, timestamps)."""

    path: str
    sortable: Mapping[str, object]
    build: Callable[..., Any]
    values: Callable[[int], Values]
    refused: str  # a field of the records that is not sortable


def _project(session: Session, **fields: Any) -> Any:
    return make_project(session, customer_id=make_customer(session).id, **fields)


def _invoice(session: Session, **fields: Any) -> Any:
    customer = make_customer(session)
    return make_invoice(
        session, customer_id=customer.id, project_id=None, status=InvoiceStatus.issued, **fields
    )


def _user(session: Session, **fields: Any) -> Any:
    return make_user(session, fields.pop("role", Role.viewer), **fields)


LISTINGS = [
    Listing(
        "/customers",
        customer_repository.SORTABLE,
        make_customer,
        lambda n: {"name": (f"A{n} Alpha", f"A{n} Bravo", f"A{n} Charlie")},
        refused="password",
    ),
    Listing(
        "/projects",
        project_repository.SORTABLE,
        _project,
        lambda n: {
            "code": (f"S{n}-0", f"S{n}-1", f"S{n}-2"),
            "name": ("Alpha", "Bravo", "Charlie"),
            "status": (ProjectStatus.active, ProjectStatus.cancelled, ProjectStatus.planned),
            "budget": (Decimal("9.99"), Decimal("10.00"), Decimal("100.00")),
            "start_date": (date(2025, 1, 1), date(2025, 6, 1), date(2026, 1, 1)),
        },
        refused="manager_id",
    ),
    Listing(
        "/project-costs",
        project_repository.COST_SORTABLE,
        make_project_cost,
        lambda n: {
            "incurred_on": (date(2026, 1, 1), date(2026, 1, 2), date(2026, 2, 1)),
            "amount": (Decimal("9.50"), Decimal("10.00"), Decimal("200.00")),
            "category": (CostCategory.equipment, CostCategory.materials, CostCategory.travel),
        },
        refused="description",
    ),
    Listing(
        "/requests",
        request_repository.REQUEST_SORTABLE,
        make_request,
        lambda n: {
            "number": (f"SR-S{n}-0", f"SR-S{n}-1", f"SR-S{n}-2"),
            "created_at": (T0, T0 + timedelta(hours=1), T0 + timedelta(days=1)),
            "priority": (Priority.critical, Priority.high, Priority.low),
            "status": (RequestStatus.assigned, RequestStatus.closed, RequestStatus.new),
            "resolution_due_at": (T0, T0 + timedelta(hours=1), T0 + timedelta(days=1)),
            "response_due_at": (T0, T0 + timedelta(minutes=5), T0 + timedelta(hours=2)),
            "closed_at": (T0, T0 + timedelta(hours=3), T0 + timedelta(days=2)),
            "title": ("Alarm", "Boiler", "Camera"),
        },
        refused="description",
    ),
    Listing(
        "/work-logs",
        request_repository.WORK_LOG_SORTABLE,
        make_work_log,
        lambda n: {
            "work_date": (date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1)),
            "hours": (Decimal("0.50"), Decimal("2.00"), Decimal("10.00")),
        },
        refused="description",
    ),
    Listing(
        "/invoices",
        invoice_repository.SORTABLE,
        _invoice,
        lambda n: {
            "number": (f"INV-S{n}-0", f"INV-S{n}-1", f"INV-S{n}-2"),
            "issued_on": (date(2026, 1, 10), date(2026, 2, 1), date(2026, 2, 2)),
            "due_on": (date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1)),
            "amount": (Decimal("99.99"), Decimal("100.00"), Decimal("1000.00")),
        },
        refused="status",
    ),
    Listing(
        "/users",
        user_repository.SORTABLE,
        _user,
        lambda n: {
            "username": (f"s{n}.alpha", f"s{n}.bravo", f"s{n}.charlie"),
            "role": (Role.accountant, Role.director, Role.viewer),
        },
        refused="email",
    ),
]
CASES = [(listing, field) for listing in LISTINGS for field in listing.sortable]


@pytest.mark.parametrize(
    ("listing", "field"), CASES, ids=[f"{listing.path}?sort={field}" for listing, field in CASES]
)
def test_each_sortable_field_sorts_both_ways(client, session, auth, listing, field):  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.admin)
    values = listing.values(admin.id).get(field)
    # Set values are built out of order; the others ascend with the building (ids, clocks).
    order = [0, 1, 2] if values is None else [2, 0, 1]
    built = {
        index: listing.build(session, **({field: values[index]} if values else {}))
        for index in order
    }
    ascending = [built[index].id for index in (0, 1, 2)]
    ours = set(ascending)
    for sort, expected in ((field, ascending), (f"-{field}", ascending[::-1])):
        response = client.get(
            f"/api/v1{listing.path}?sort={sort}&page_size=200", headers=auth(admin)
        )
        assert response.status_code == 200, response.text
        listed = [item["id"] for item in response.json()["items"] if item["id"] in ours]
        assert listed == expected, sort


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.path)
def test_an_unsortable_field_is_refused_naming_the_sortable_ones(client, session, auth, listing):  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.admin)
    response = client.get(f"/api/v1{listing.path}?sort={listing.refused}", headers=auth(admin))
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        f"cannot sort by {listing.refused!r}; sortable fields: "
        + ", ".join(sorted(listing.sortable))
    )
