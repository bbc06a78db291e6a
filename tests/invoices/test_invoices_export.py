"""GET /api/v1/invoices/export.csv: the list's filters, the caller's scope, streamed CSV with
formulas neutralised, audited."""

from __future__ import annotations

from datetime import date

from builders import make_invoice, make_user
from companies import make_company
from exports import csv_rows, export_event
from oversight.invoices.models import InvoiceStatus
from oversight.vocabulary import Role

URL = "/api/v1/invoices/export.csv"


def test_each_role_exports_exactly_the_invoices_it_may_see(client, session, auth):
    mine, theirs = make_company(session), make_company(session)
    own_all = {mine.invoice.number, mine.draft.number}
    everything = own_all | {theirs.invoice.number, theirs.draft.number}
    for role, expected in [
        (Role.admin, everything),
        (Role.accountant, everything),
        (Role.project_manager, own_all),
        (Role.client, {mine.invoice.number}),  # issued ones only, never drafts
    ]:
        caller = mine.caller(session, role)
        numbers = {row["number"] for row in csv_rows(client.get(URL, headers=auth(caller)))}
        assert numbers & everything == expected, role
    engineer = client.get(URL, headers=auth(mine.engineer))
    assert engineer.status_code == 403


def test_export_takes_the_list_filters_and_neutralises_formulas(client, session, auth):
    world = make_company(session)
    planted = make_invoice(
        session,
        project_id=world.project.id,
        status=InvoiceStatus.issued,
        issued_on=date(2026, 4, 10),
        due_on=date(2026, 5, 10),
        description="@SUM(1+1)*cmd|' /C calc'!A0",
    )
    make_invoice(  # issued before the range
        session,
        project_id=world.project.id,
        status=InvoiceStatus.issued,
        issued_on=date(2026, 4, 9),
        due_on=date(2026, 5, 10),
    )
    accountant = make_user(session, Role.accountant)
    query = f"?customer_id={world.customer.id}&status=issued&from=2026-04-10&to=2026-04-30"
    response = client.get(URL + query, headers=auth(accountant))
    [row] = csv_rows(response)
    assert row["number"] == planted.number
    assert row["description"] == "'" + planted.description
    assert (row["amount"], row["currency"]) == ("25000.00", "RUB")
    assert (row["issued_on"], row["due_on"], row["paid_on"]) == ("2026-04-10", "2026-05-10", "")
    details = export_event(session, "invoice.exported", response)
    assert details["query"]["customer_id"] == [str(world.customer.id)]
    assert details["query"]["to"] == ["2026-04-30"]
