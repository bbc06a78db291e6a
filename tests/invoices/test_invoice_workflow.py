"""The invoice life cycle through the API: every transition allowed or refused, and its dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from builders import make_invoice, make_project, make_user
from oversight.invoices.models import InvoiceStatus
from oversight.invoices.workflow import TRANSITIONS, InvoiceAction
from oversight.kit.clock import local_today
from oversight.vocabulary import Role

URL = "/api/v1/invoices"
S = InvoiceStatus

ALLOWED_ACTIONS = {
    S.draft: "issue, cancel",
    S.issued: "mark-paid, cancel",
    S.paid: "none",
    S.cancelled: "none",
}


@pytest.fixture
def today(settings) -> date:
    return local_today(settings.company.calendar.timezone)


def _field(response) -> str:
    details = response.json()["error"]["details"]
    return details["field"] if isinstance(details, dict) else details[0]["field"]


def _in_status(session, today: date, status: InvoiceStatus, **fields):
    """An invoice in `status` with dates consistent with it, relative to today."""
    values: dict[str, object] = {}
    if status is not S.draft:
        values |= {"issued_on": today - timedelta(days=10), "due_on": today + timedelta(days=20)}
    if status is S.paid:
        values["paid_on"] = today - timedelta(days=5)
    if status is S.cancelled:
        values["cancelled_on"] = today - timedelta(days=5)
    return make_invoice(session, status=status, **(values | fields))


def _issued(session, today: date, **fields):
    return _in_status(session, today, S.issued, **fields)


@pytest.mark.parametrize("action", list(InvoiceAction))
@pytest.mark.parametrize("status", list(InvoiceStatus))
def test_accountant_action_from_each_status(client, session, auth, today, status, action):
    accountant = make_user(session, Role.accountant)
    invoice = _in_status(session, today, status)
    response = client.post(f"{URL}/{invoice.id}/{action.value}", headers=auth(accountant))
    expected = TRANSITIONS[status].get(action)
    if expected is None:
        assert response.status_code == 409, response.text
        message = response.json()["error"]["message"]
        assert f"invoice {invoice.number} is {status.value}" in message
        assert message.endswith(f"allowed actions: {ALLOWED_ACTIONS[status]}")
    else:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == expected.value


def test_refusal_message_names_the_state_and_what_is_allowed(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session, status=S.paid)
    response = client.post(f"{URL}/{invoice.id}/cancel", headers=auth(admin))
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": f"cannot cancel: invoice {invoice.number} is paid; allowed actions: none",
        "details": None,
    }


# issue


def test_issue_defaults_to_today_and_the_company_payment_terms(
    client, session, auth, settings, today
):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.post(f"{URL}/{invoice.id}/issue", headers=auth(admin))
    assert response.status_code == 200, response.text
    days = settings.company.invoice_payment_days
    assert response.json()["issued_on"] == today.isoformat()
    assert response.json()["due_on"] == (today + timedelta(days=days)).isoformat()
    assert response.json()["is_overdue"] is False


def test_issue_keeps_a_due_date_set_on_the_draft(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session, due_on=date(2026, 6, 15))
    response = client.post(
        f"{URL}/{invoice.id}/issue", json={"issued_on": "2026-06-01"}, headers=auth(admin)
    )
    assert response.json()["issued_on"] == "2026-06-01"
    assert response.json()["due_on"] == "2026-06-15"


def test_issuing_after_the_drafts_due_date_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session, due_on=date(2026, 6, 15))
    response = client.post(
        f"{URL}/{invoice.id}/issue", json={"issued_on": "2026-06-16"}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "issued_on"
    assert "2026-06-15" in response.json()["error"]["message"]


def test_backdated_issue_past_its_terms_is_overdue_at_once(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    issued_on = today - timedelta(days=90)
    response = client.post(
        f"{URL}/{invoice.id}/issue", json={"issued_on": issued_on.isoformat()}, headers=auth(admin)
    )
    assert response.json()["is_overdue"] is True


def test_unknown_field_in_an_action_body_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.post(
        f"{URL}/{invoice.id}/issue", json={"due_on": "2026-12-31"}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "body.due_on"


# mark paid


def test_mark_paid_defaults_to_today(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(session, today)
    response = client.post(f"{URL}/{invoice.id}/mark-paid", headers=auth(admin))
    assert response.status_code == 200, response.text
    assert response.json()["paid_on"] == today.isoformat()
    assert response.json()["status"] == "paid"


def test_mark_paid_on_a_given_date(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(session, today)
    paid_on = (today - timedelta(days=2)).isoformat()
    response = client.post(
        f"{URL}/{invoice.id}/mark-paid", json={"paid_on": paid_on}, headers=auth(admin)
    )
    assert response.json()["paid_on"] == paid_on


def test_paying_an_overdue_invoice_clears_overdue(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(
        session, today, issued_on=today - timedelta(days=60), due_on=today - timedelta(days=30)
    )
    response = client.post(f"{URL}/{invoice.id}/mark-paid", headers=auth(admin))
    assert response.json()["is_overdue"] is False


def test_payment_before_the_issue_date_is_refused(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(session, today)
    paid_on = (today - timedelta(days=11)).isoformat()
    response = client.post(
        f"{URL}/{invoice.id}/mark-paid", json={"paid_on": paid_on}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "paid_on"


def test_payment_in_the_future_is_refused(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(session, today)
    paid_on = (today + timedelta(days=1)).isoformat()
    response = client.post(
        f"{URL}/{invoice.id}/mark-paid", json={"paid_on": paid_on}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "paid_on"
    assert "future" in response.json()["error"]["message"]


# cancel


def test_cancelling_a_draft_records_today(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = make_invoice(session)
    response = client.post(f"{URL}/{invoice.id}/cancel", headers=auth(admin))
    assert response.status_code == 200
    assert response.json()["cancelled_on"] == today.isoformat()
    assert response.json()["description"] == invoice.description


def test_cancelling_with_a_reason_keeps_it_beside_the_invoice(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(session, today, description="Q1 service")
    response = client.post(
        f"{URL}/{invoice.id}/cancel", json={"reason": "duplicate"}, headers=auth(admin)
    )
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation_reason"] == "duplicate"
    assert response.json()["description"] == "Q1 service"


def test_cancelled_invoice_is_never_overdue(client, session, auth, today):
    admin = make_user(session, Role.admin)
    invoice = _issued(
        session, today, issued_on=today - timedelta(days=60), due_on=today - timedelta(days=30)
    )
    response = client.post(f"{URL}/{invoice.id}/cancel", headers=auth(admin))
    assert response.json()["is_overdue"] is False


# permissions and scope


@pytest.mark.parametrize("action", list(InvoiceAction))
def test_project_manager_may_not_move_invoices_through_the_workflow(client, session, auth, action):
    manager = make_user(session, Role.project_manager)
    invoice = make_invoice(session, project_id=make_project(session, manager_id=manager.id).id)
    response = client.post(f"{URL}/{invoice.id}/{action.value}", headers=auth(manager))
    assert response.status_code == 403


def test_client_may_not_mark_its_invoice_paid(client, session, auth, today):
    contact = make_user(session, Role.client)
    invoice = _issued(
        session, today, project_id=make_project(session, customer_id=contact.customer_id).id
    )
    response = client.post(f"{URL}/{invoice.id}/mark-paid", headers=auth(contact))
    assert response.status_code == 403


def test_action_on_a_missing_invoice_is_not_found(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(f"{URL}/999999/issue", headers=auth(admin))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "invoice 999999 not found"
