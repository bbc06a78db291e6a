"""Invoices through the API: drafts, validation, listing, overdue derivation and row scope."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from builders import make_customer, make_invoice, make_project, make_user
from oversight.errors import InvalidInput
from oversight.invoices import service as invoice_service
from oversight.invoices.models import InvoiceStatus
from oversight.invoices.schemas import InvoiceCreate
from oversight.kit.clock import local_today
from oversight.vocabulary import Role

URL = "/api/v1/invoices"


@pytest.fixture
def today(settings) -> date:
    return local_today(settings.company.calendar.timezone)


def _field(response) -> str:
    details = response.json()["error"]["details"]
    return details["field"] if isinstance(details, dict) else details[0]["field"]


def _not_found(invoice_id: int) -> dict:
    return {
        "error": {
            "code": "not_found",
            "message": f"invoice {invoice_id} not found",
            "details": None,
        }
    }


def _ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def _due(session, status: InvoiceStatus, due_on: date, **fields):
    """An invoice in `status`, due on `due_on`, issued 30 days earlier and paid (if paid) on
    its due date."""
    values: dict[str, object] = {"issued_on": due_on - timedelta(days=30), "due_on": due_on}
    if status is InvoiceStatus.paid:
        values["paid_on"] = due_on
    return make_invoice(session, status=status, **(values | fields))


# create and read


def test_created_invoice_is_a_numbered_draft_in_the_company_currency(client, session, auth, today):
    accountant = make_user(session, Role.accountant)
    project = make_project(session)
    body = {
        "customer_id": project.customer_id,
        "project_id": project.id,
        "amount": "25000.5",
        "description": "Q2 maintenance",
    }
    created = client.post(URL, json=body, headers=auth(accountant))
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert re.fullmatch(rf"INV-{today.year}-\d{{5}}", invoice["number"])
    assert invoice["status"] == "draft"
    assert invoice["currency"] == "RUB"
    assert invoice["amount"] == "25000.50"
    assert invoice["is_overdue"] is False
    assert invoice["issued_on"] is None
    fetched = client.get(f"{URL}/{invoice['id']}", headers=auth(accountant))
    assert fetched.json() == invoice


def test_consecutive_invoices_get_consecutive_numbers(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = {"customer_id": customer.id, "amount": "10.00"}
    first = client.post(URL, json=body, headers=auth(admin)).json()["number"]
    second = client.post(URL, json=body, headers=auth(admin)).json()["number"]
    assert int(second[-5:]) == int(first[-5:]) + 1
    assert second[:-5] == first[:-5]


def test_invoice_without_project_is_allowed_for_unrestricted_roles(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = {"customer_id": customer.id, "amount": "10.00", "currency": "RUB"}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 201
    assert response.json()["project_id"] is None
    assert response.json()["currency"] == "RUB"


def test_invoice_in_another_currency_is_refused_naming_the_company_currency(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = {"customer_id": customer.id, "amount": "10.00", "currency": "EUR"}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    error = response.json()["error"]
    assert "company currency RUB" in error["message"]
    assert error["details"] == {"field": "currency", "company_currency": "RUB"}
    assert client.get(URL, headers=auth(admin)).json()["total"] == 0


def test_the_company_currency_comes_from_the_settings(session, settings):
    euro = settings.model_copy(
        update={"company": settings.company.model_copy(update={"currency": "EUR"})}
    )
    customer = make_customer(session)
    draft = invoice_service.create_invoice(
        session=session, settings=euro, data=InvoiceCreate(customer_id=customer.id, amount="5")
    )
    assert draft.currency == "EUR"
    with pytest.raises(InvalidInput, match="company currency EUR, not RUB"):
        invoice_service.create_invoice(
            session=session,
            settings=euro,
            data=InvoiceCreate(customer_id=customer.id, amount="5", currency="RUB"),
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 1),
        ("status", "paid"),
        ("number", "INV-2026-00001"),
        ("issued_on", "2026-01-01"),
    ],
)
def test_fields_the_system_assigns_are_refused_on_create(client, session, auth, field, value):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = {"customer_id": customer.id, "amount": "10.00", field: value}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == f"body.{field}"


@pytest.mark.parametrize("currency", ["rub", "RUBL"])
def test_currency_must_be_three_upper_case_letters(client, session, auth, currency):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = {"customer_id": customer.id, "amount": "10.00", "currency": currency}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "body.currency"


@pytest.mark.parametrize("amount", ["0", "10.001"])
def test_amount_must_be_positive_with_at_most_two_places(client, session, auth, amount):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    response = client.post(
        URL, json={"customer_id": customer.id, "amount": amount}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "body.amount"


def test_project_of_another_customer_is_refused_naming_customer_id(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    other = make_customer(session)
    body = {"customer_id": other.id, "project_id": project.id, "amount": "10.00"}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "customer_id"
    assert project.code in response.json()["error"]["message"]


def test_missing_customer_is_refused_naming_customer_id(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(URL, json={"customer_id": 999_999, "amount": "1"}, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "customer_id"


def test_missing_project_is_refused_naming_project_id(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = {"customer_id": customer.id, "project_id": 999_999, "amount": "1"}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "project_id"


# update


def test_draft_update_changes_only_given_fields(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session, description="Original")
    response = client.patch(
        f"{URL}/{invoice.id}", json={"amount": "99.9", "due_on": "2026-12-31"}, headers=auth(admin)
    )
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == "99.90"
    assert response.json()["due_on"] == "2026-12-31"
    assert response.json()["description"] == "Original"


@pytest.mark.parametrize(
    "status", [InvoiceStatus.issued, InvoiceStatus.paid, InvoiceStatus.cancelled]
)
def test_only_drafts_can_be_edited(client, session, auth, status):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session, status=status)
    response = client.patch(f"{URL}/{invoice.id}", json={"amount": "1"}, headers=auth(admin))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"cannot edit: invoice {invoice.number} is {status.value}; "
        "only draft invoices can be edited"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("customer_id", 1), ("status", "issued"), ("number", "X"), ("currency", "USD")],
)
def test_fields_outside_the_editable_set_are_refused_on_update(client, session, auth, field, value):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.patch(f"{URL}/{invoice.id}", json={field: value}, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == f"body.{field}"


def test_moving_a_draft_to_another_customers_project_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    foreign = make_project(session)
    response = client.patch(
        f"{URL}/{invoice.id}", json={"project_id": foreign.id}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "project_id"


def test_moving_a_draft_to_another_project_of_the_same_customer(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    sibling = make_project(session, customer_id=invoice.customer_id)
    response = client.patch(
        f"{URL}/{invoice.id}", json={"project_id": sibling.id}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert response.json()["project_id"] == sibling.id


def test_null_amount_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.patch(f"{URL}/{invoice.id}", json={"amount": None}, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "amount"


# overdue


@pytest.mark.parametrize(
    ("status", "due_in_days", "expected"),
    [
        (InvoiceStatus.issued, -1, True),
        (InvoiceStatus.issued, 0, False),
        (InvoiceStatus.issued, 1, False),
        (InvoiceStatus.paid, -10, False),
        (InvoiceStatus.cancelled, -10, False),
        (InvoiceStatus.draft, -10, False),
    ],
)
def test_overdue_is_derived_from_status_and_due_date_in_company_time(
    client, session, auth, today, status, due_in_days, expected
):
    admin = make_user(session, Role.admin)
    invoice = _due(session, status, today + timedelta(days=due_in_days))
    response = client.get(f"{URL}/{invoice.id}", headers=auth(admin))
    assert response.json()["is_overdue"] is expected


def test_overdue_filter_selects_exactly_the_overdue_invoices(client, session, auth, today):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)

    def invoice(status: InvoiceStatus, due_in_days: int) -> int:
        due_on = today + timedelta(days=due_in_days)
        return _due(session, status, due_on, customer_id=customer.id, project_id=None).id

    overdue = invoice(InvoiceStatus.issued, -1)
    others = [
        invoice(InvoiceStatus.issued, 0),
        invoice(InvoiceStatus.paid, -5),
        invoice(InvoiceStatus.cancelled, -5),
        invoice(InvoiceStatus.draft, -5),
    ]
    query = f"{URL}?customer_id={customer.id}&sort=created_at"
    only_overdue = client.get(f"{query}&overdue=true", headers=auth(admin))
    not_overdue = client.get(f"{query}&overdue=false", headers=auth(admin))
    assert _ids(only_overdue) == [overdue]
    assert only_overdue.json()["items"][0]["is_overdue"] is True
    assert _ids(not_overdue) == others
    assert only_overdue.json()["total"] == 1
    assert not_overdue.json()["total"] == 4


def test_draft_without_due_date_is_not_overdue(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.get(
        f"{URL}?customer_id={invoice.customer_id}&overdue=false", headers=auth(admin)
    )
    assert _ids(response) == [invoice.id]


# listing


def test_list_filters_by_customer_project_and_status(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    wanted = make_invoice(session, project_id=project.id, status=InvoiceStatus.issued)
    make_invoice(session, project_id=project.id, status=InvoiceStatus.draft)
    make_invoice(session, customer_id=project.customer_id, project_id=None)
    response = client.get(
        f"{URL}?customer_id={project.customer_id}&project_id={project.id}&status=issued",
        headers=auth(admin),
    )
    assert _ids(response) == [wanted.id]


def test_issued_date_range_includes_both_ends(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    days = [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1)]
    built = [
        make_invoice(
            session,
            customer_id=customer.id,
            project_id=None,
            status=InvoiceStatus.issued,
            issued_on=day,
            due_on=day + timedelta(days=30),
        )
        for day in days
    ]
    response = client.get(
        f"{URL}?customer_id={customer.id}&issued_from=2026-03-01&issued_to=2026-03-31"
        "&sort=issued_on",
        headers=auth(admin),
    )
    assert _ids(response) == [built[1].id, built[2].id]


def test_issued_range_ending_before_it_starts_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get(f"{URL}?issued_from=2026-03-02&issued_to=2026-03-01", headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "issued_to"


def test_page_beyond_the_end_is_empty_with_the_total(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.get(
        f"{URL}?customer_id={invoice.customer_id}&page=5&page_size=1", headers=auth(admin)
    )
    assert response.json()["items"] == []
    assert response.json()["total"] == 1


def test_page_size_over_the_maximum_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get(f"{URL}?page_size=1000", headers=auth(admin))
    assert response.status_code == 422
    assert "page_size" in response.json()["error"]["message"]


def test_invoices_without_an_issue_date_sort_as_latest_on_every_backend(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    draft = make_invoice(session, customer_id=customer.id, project_id=None)
    issued = make_invoice(
        session, customer_id=customer.id, project_id=None, status=InvoiceStatus.issued
    )
    ascending = client.get(f"{URL}?customer_id={customer.id}&sort=issued_on", headers=auth(admin))
    descending = client.get(f"{URL}?customer_id={customer.id}&sort=-issued_on", headers=auth(admin))
    assert _ids(ascending) == [issued.id, draft.id]
    assert _ids(descending) == [draft.id, issued.id]


# permissions and row scope


def test_project_manager_sees_only_invoices_of_own_projects(client, session, auth):
    manager = make_user(session, Role.project_manager)
    own = make_invoice(session, project_id=make_project(session, manager_id=manager.id).id)
    make_invoice(session)
    response = client.get(URL, headers=auth(manager))
    assert _ids(response) == [own.id]
    assert response.json()["total"] == 1


def test_project_manager_gets_the_missing_id_answer_for_other_invoices(client, session, auth):
    manager = make_user(session, Role.project_manager)
    other = make_invoice(session)
    response = client.get(f"{URL}/{other.id}", headers=auth(manager))
    assert response.status_code == 404
    assert response.json() == _not_found(other.id)


def test_project_manager_creates_an_invoice_for_own_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    project = make_project(session, manager_id=manager.id)
    body = {"customer_id": project.customer_id, "project_id": project.id, "amount": "10.00"}
    response = client.post(URL, json=body, headers=auth(manager))
    assert response.status_code == 201, response.text


def test_project_manager_cannot_invoice_another_managers_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    make_project(session, manager_id=manager.id)
    other = make_project(session)
    body = {"customer_id": other.customer_id, "project_id": other.id, "amount": "10.00"}
    response = client.post(URL, json=body, headers=auth(manager))
    assert response.status_code == 422
    assert _field(response) in {"customer_id", "project_id"}


def test_project_manager_invoice_needs_one_of_their_projects(client, session, auth):
    manager = make_user(session, Role.project_manager)
    project = make_project(session, manager_id=manager.id)
    body = {"customer_id": project.customer_id, "amount": "10.00"}
    response = client.post(URL, json=body, headers=auth(manager))
    assert response.status_code == 422
    assert _field(response) == "project_id"


def test_project_manager_cannot_detach_a_draft_from_their_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    invoice = make_invoice(session, project_id=make_project(session, manager_id=manager.id).id)
    response = client.patch(f"{URL}/{invoice.id}", json={"project_id": None}, headers=auth(manager))
    assert response.status_code == 422
    assert _field(response) == "project_id"


def test_client_sees_only_non_draft_invoices_of_its_customer(client, session, auth):
    contact = make_user(session, Role.client)
    project = make_project(session, customer_id=contact.customer_id)
    issued = make_invoice(session, project_id=project.id, status=InvoiceStatus.issued)
    paid = make_invoice(session, project_id=project.id, status=InvoiceStatus.paid)
    make_invoice(session, project_id=project.id, status=InvoiceStatus.draft)
    make_invoice(session, status=InvoiceStatus.issued)
    response = client.get(f"{URL}?sort=created_at", headers=auth(contact))
    assert _ids(response) == [issued.id, paid.id]
    assert response.json()["total"] == 2


def test_client_gets_the_missing_id_answer_for_its_own_draft(client, session, auth):
    contact = make_user(session, Role.client)
    draft = make_invoice(
        session, project_id=make_project(session, customer_id=contact.customer_id).id
    )
    response = client.get(f"{URL}/{draft.id}", headers=auth(contact))
    assert response.status_code == 404
    assert response.json() == _not_found(draft.id)


def test_client_gets_the_missing_id_answer_for_another_customers_invoice(client, session, auth):
    contact = make_user(session, Role.client)
    other = make_invoice(session, status=InvoiceStatus.issued)
    response = client.get(f"{URL}/{other.id}", headers=auth(contact))
    assert response.status_code == 404
    assert response.json() == _not_found(other.id)


def test_client_cannot_create_invoices_even_for_its_own_customer(client, session, auth):
    contact = make_user(session, Role.client)
    body = {"customer_id": contact.customer_id, "amount": "1.00"}
    response = client.post(URL, json=body, headers=auth(contact))
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["", "/1"])
def test_engineer_may_not_read_invoices(client, session, auth, path):
    engineer = make_user(session, Role.engineer)
    response = client.get(f"{URL}{path}", headers=auth(engineer))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
