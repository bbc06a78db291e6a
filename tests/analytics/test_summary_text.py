"""Issue 13: every role's `summary.txt` holds what that role's JSON summary holds (the
engineer's was empty: utilization had no line)."""

from __future__ import annotations

import typing
from decimal import Decimal

from builders import make_user
from oversight.analytics import schemas as s
from oversight.analytics import text
from oversight.vocabulary import Role

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def _one(value: str) -> str:
    return text.PLAIN.number(Decimal(value))


# each section's line: its label and the figure from the JSON that it must show
LINES: dict[str, typing.Callable[[dict[str, typing.Any]], tuple[str, str]]] = {
    "open_requests": lambda k: ("Open requests: ", str(k["count"])),
    "sla_at_risk": lambda k: ("Past due: ", f"Due in 24 h: {k['due_within_24h']}"),
    "first_response": lambda k: ("First response: ", _one(k["mean_hours"])),
    "time_to_close": lambda k: ("Time to close: ", _one(k["median_hours"])),
    "on_time": lambda k: ("On time ", text.PLAIN.percent(Decimal(k["on_time_percent"]))),
    "throughput": lambda k: ("Closed per day: ", _one(k["per_day"])),
    "approvals": lambda k: ("Approved at completion: ", f"({k['approved']} of "),
    "revision_cycles": lambda k: ("Revisions per closed request: ", _one(k["mean_revisions"])),
    "utilization": lambda k: (
        " h logged",
        _one(str(sum(Decimal(e["hours_logged"]) for e in k["engineers"]))),
    ),
    "revenue": lambda k: ("Revenue: ", text.money(Decimal(k["issued"]), k["currency"])),
    "profitability": lambda k: (
        ("Projects with activity: ", f"{len(k['projects'])}, invoiced ")
        if k["withheld"]
        else ("Margin: ", f"{len(k['projects'])} project")
    ),
    "overdue_invoices": lambda k: ("Overdue invoices: ", text.money(Decimal(k["total"]), "RUB")),
}


def test_every_summary_section_has_a_text_line_declared():
    fields = set(typing.get_type_hints(s.Summary)) - {"period", "today"}
    assert set(LINES) == fields


def test_every_roles_text_summary_holds_every_section_of_its_json(march, client, auth, session):
    users = {role: make_user(session, role) for role in (Role.admin, Role.director, Role.viewer,
                                                         Role.accountant)}  # fmt: skip
    users |= {
        Role.project_manager: march.pm,
        Role.engineer: march.e2,
        Role.client: make_user(session, Role.client, customer_id=march.acme_id),
    }
    for role, user in users.items():
        headers = auth(user)
        summary = client.get("/api/v1/analytics/summary", params=MARCH, headers=headers)
        assert summary.status_code == 200, role
        sections = {k: v for k, v in summary.json().items() if k in LINES and v is not None}
        assert sections, role
        lines = client.get(
            "/api/v1/analytics/summary.txt", params=MARCH, headers=headers
        ).text.splitlines()
        assert len(lines) == len(sections), (role, lines)
        for name, kpi in sections.items():
            label, figure = LINES[name](kpi)
            assert any(label in line and figure in line for line in lines), (role, name, figure)
