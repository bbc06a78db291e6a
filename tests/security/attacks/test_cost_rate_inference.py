"""Issue 12, finding 9: a project manager derived engineers' pay rates from profitability.

Labour cost is hours x the engineer's cost rate, and hours are readable per engineer and day
by every role that reads work logs; so the labour of a one-engineer project over a one-day
period, divided by that day's hours, was the engineer's rate. The rule now: labour, margin,
margin % and anything ordered or counted by them are shown only to roles that may read cost
rates (those that read users: admin and director); every other role gets them null with
`withheld` saying why. The attack below runs, as every role, over one-day periods and the
whole span, through the JSON, the text and the cache that the roles share.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from builders import (
    make_customer,
    make_invoice,
    make_project,
    make_project_cost,
    make_request,
    make_user,
    make_work_log,
)
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.invoices.models import InvoiceStatus
from oversight.vocabulary import Role

RATE = Decimal("1537.13")
DAYS = {date(2026, 3, 2): Decimal("3.00"), date(2026, 3, 3): Decimal("5.50")}
INVOICED = Decimal("20000.00")
COST = Decimal("700.00")
THOUSANDS = re.compile(r"(?<=\d)[,\u00a0 ](?=\d{3}\b)")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _company(session):
    """One engineer (rate `RATE`) alone on the manager's project `P-SOLO`, which is invoiced
    and costs something on the first day; a second project with no labour sorts after it by
    code but would come first by margin."""
    customer = make_customer(session, name="Solo Customer")
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer, cost_rate=RATE)
    solo = make_project(session, customer_id=customer.id, manager_id=manager.id, code="P-SOLO")
    other = make_project(session, customer_id=customer.id, manager_id=manager.id, code="P-TWO")
    request = make_request(session, project_id=solo.id, assigned_engineer_id=engineer.id)
    for day, hours in DAYS.items():
        make_work_log(session, request_id=request.id, engineer_id=engineer.id, work_date=day,
                      hours=hours)  # fmt: skip
    first = min(DAYS)
    make_invoice(session, project_id=solo.id, status=InvoiceStatus.issued, amount=INVOICED,
                 issued_on=first, due_on=date(2026, 4, 1))  # fmt: skip
    make_invoice(session, project_id=other.id, status=InvoiceStatus.issued,
                 amount=Decimal("100.00"), issued_on=first, due_on=date(2026, 4, 1))  # fmt: skip
    make_project_cost(session, project_id=solo.id, incurred_on=first, amount=COST)
    return customer, manager, solo


def _figures(body: str) -> set[Decimal]:
    """Every number in an answer, however it is written (1,537.13 / 1 537,13 / 1537.13)."""
    return {Decimal(n.replace(",", ".")) for n in NUMBER.findall(THOUSANDS.sub("", body))}


def _giveaways() -> set[Decimal]:
    """What would reveal the rate: labour of a day or of both, the margin beside it, and
    the rate itself."""
    labour = [RATE * hours for hours in DAYS.values()] + [RATE * sum(DAYS.values())]
    margins = [INVOICED - COST - amount for amount in labour]
    cents = Decimal("0.01")
    return {RATE} | {
        x.quantize(cents, rounding) for x in labour + margins for rounding in (ROUND_DOWN, ROUND_UP)
    }


def _answers(client, headers, project_id: int) -> dict[str, tuple[int, str, object]]:
    """One day (the second: labour / that day's hours would be the rate) through every
    channel, and the whole span up to its end (`to_date`) as JSON."""
    day = max(DAYS).isoformat()
    one_day = {"start": day, "end": day}
    asks = [
        ("profitability", one_day),
        ("summary", one_day),
        ("summary.txt", one_day),
        (f"projects/{project_id}.txt", one_day),
        ("profitability", one_day | {"to_date": "true"}),
    ]
    answers = {}
    for path, params in asks:
        response = client.get(f"/api/v1/analytics/{path}", params=params, headers=headers)
        key = f"{path}?{'&'.join(params.values())}"
        is_json = response.headers["content-type"].startswith("application/json")
        answers[key] = (response.status_code, response.text, is_json and response.json())
    return answers


def test_no_role_recovers_a_cost_rate_it_may_not_read(client, auth, session):
    customer, manager, solo = _company(session)
    users = {role: make_user(session, role) for role in Role}
    users[Role.project_manager] = manager
    users[Role.client] = make_user(session, Role.client, customer_id=customer.id)
    giveaways = _giveaways()
    # the roles that may read rates go first, so a cache shared across roles would hand
    # their answers to the others
    for role in sorted(Role, key=lambda r: not is_allowed(r, Resource.users, Action.read)):
        reads_rates = is_allowed(role, Resource.users, Action.read)
        answers = _answers(client, auth(users[role]), solo.id)
        for key, (status, body, parsed) in answers.items():
            assert status in (200, 403), (role, key, status)
            if status != 200:
                continue
            margins = []
            if key.startswith("profitability"):
                margins = parsed["projects"]
            elif key.startswith("summary?") and parsed["profitability"]:
                margins = parsed["profitability"]["projects"]
            if reads_rates:
                # the positive control: the figures the others must not get are really there
                for margin in margins:
                    if margin["code"] == "P-SOLO":
                        assert Decimal(margin["labour"]) in giveaways, (role, key)
                continue
            leaked = _figures(body) & giveaways
            assert not leaked, f"{role.value} reads {sorted(leaked)} in {key}"
            for margin in margins:
                assert (margin["labour"], margin["margin"], margin["margin_percent"]) == (
                    None,
                    None,
                    None,
                ), (role, key)
                assert margin["withheld"], (role, key)
            # ordered by code, not by the withheld margin (P-TWO would come first)
            assert [m["code"] for m in margins] == sorted(m["code"] for m in margins)
        finance = is_allowed(role, Resource.analytics_finance, Action.read)
        answered = {key for key, (status, *_) in answers.items() if status == 200}
        assert any(key.startswith("profitability") for key in answered) is finance, role
