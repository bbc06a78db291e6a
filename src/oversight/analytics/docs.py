"""What each KPI endpoint says about itself in the OpenAPI document: a summary and a
description a reader can act on (the definitions are README's "KPI analytics")."""

from __future__ import annotations

PERIOD_NOTE = (
    " The period is `from`/`to` (local days of the company's time zone, both included; "
    "`start`/`end` are the former names, kept for one release); `project_id`, `customer_id` "
    "and `engineer_id` narrow the figures, which never go beyond the caller's row scope."
)

KPI_DOCS: dict[str, tuple[str, str]] = {
    "open-requests": (
        "Open requests and their age",
        "Requests not closed or cancelled: how many, and their mean age in days.",
    ),
    "sla-at-risk": (
        "Requests at risk of missing their SLA",
        "Open requests due within 24 hours, and open requests already past their resolution "
        "due date: the list to chase today.",
    ),
    "first-response": (
        "First response time",
        "Mean and P90 of the time from creation to the first response (assignment "
        "acknowledged or work started), and the share answered within the response SLA.",
    ),
    "time-to-close": (
        "Time to close",
        "Mean, median and P90 of the time from creation to closing, over the requests closed "
        "in the period.",
    ),
    "on-time": (
        "On-time completion rate",
        "The share of the requests closed in the period that closed by their resolution due date.",
    ),
    "revision-cycles": (
        "Revision cycles",
        "The mean number of rejections and reopenings per request closed in the period: how "
        "often work had to be redone.",
    ),
    "throughput": (
        "Requests closed per day",
        "How many requests were closed on each day of the period.",
    ),
    "approvals": (
        "Client approval rate",
        "Approved divided by (approved + rejected) completion decisions of clients in the period.",
    ),
    "open-over-time": (
        "Open requests over time",
        "How many requests were open at the end of each day of the period (the backlog's trend).",
    ),
    "utilization": (
        "Engineer utilization",
        "Per engineer: requests assigned and closed in the period, hours logged, and hours "
        "logged divided by capacity (weekly capacity times weeks in the period).",
    ),
    "profitability": (
        "Project profitability",
        "Per project: invoiced amount minus project costs and labour (hours times cost rate), "
        "margin and margin %, in the company currency; labour detail only for roles that may "
        "read cost rates.",
    ),
    "revenue": (
        "Revenue",
        "Invoices issued in the period (accrual) and invoices paid in the period (cash), in "
        "the company currency.",
    ),
    "revenue-by-month": (
        "Revenue by month",
        "Issued and paid invoice amounts per month of the period, in the company currency.",
    ),
    "overdue-invoices": (
        "Overdue invoices",
        "Issued, unpaid invoices past their due date: count, total and the clients "
        "concerned — the list to chase for payment.",
    ),
}


def kpi_summary(name: str) -> str:
    return KPI_DOCS[name][0]


def kpi_description(name: str) -> str:
    return KPI_DOCS[name][1] + PERIOD_NOTE
