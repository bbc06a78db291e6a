"""Money: project budgets sized to the work they will see, project costs, and invoices.

Budgets follow the expected load, so margins stay realistic at any scale: most contracts
earn 25-45 %, a few lose money. Customers pay to their habit: punctually, sometimes late,
or chronically late (some of whose invoices stay unpaid long past due).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from oversight.demo import names
from oversight.demo.company import Company, ProjectPlan
from oversight.demo.working_time import History, month_start, next_month
from oversight.invoices.models import InvoiceStatus
from oversight.kit.money import to_money
from oversight.projects.models import CostCategory

Row = tuple[Any, ...]

COST_COLUMNS = (
    "id", "project_id", "incurred_on", "category", "description", "amount", "created_at",
    "updated_at",
)  # fmt: skip
INVOICE_COLUMNS = (
    "id", "number", "customer_id", "project_id", "amount", "currency", "status", "description",
    "issued_on", "due_on", "paid_on", "cancelled_on", "cancellation_reason", "created_at",
    "updated_at",
)  # fmt: skip

MEAN_HOURS_PER_REQUEST = 5.4
"""Logged hours per request, on average, as `lifecycle` simulates them."""
OTHER_COSTS_SHARE = 0.12
MINIMUM_MONTHLY_FEE = Decimal(40_000)
MAXIMUM_MONTHLY_FEE = Decimal(10) ** 9
"""Keeps a budget of 120 months inside the money column (14 digits) at any load."""

_COST_CATEGORIES = (
    (CostCategory.materials, 0.50, (0.03, 0.12)),
    (CostCategory.travel, 0.25, (0.005, 0.03)),
    (CostCategory.equipment, 0.10, (0.08, 0.30)),
    (CostCategory.subcontract, 0.10, (0.08, 0.25)),
    (CostCategory.other, 0.05, (0.005, 0.02)),
)
_HUNDREDS = Decimal("1E2")
_PAYMENT_HABITS = {  # (share paid on time, share paid late); the rest is disputed, never paid
    "punctual": (0.93, 0.06),
    "late": (0.65, 0.32),
    "chronic": (0.35, 0.53),
}
_MILESTONES = (Decimal("0.3"), Decimal("0.3"), Decimal("0.2"), Decimal("0.2"))


def set_budgets(
    rng: random.Random, company: Company, expected: dict[int, float], history: History
) -> None:
    """Give each project a budget and monthly fee covering its expected labour and costs."""
    rate = float(company.mean_cost_rate)
    for project in company.projects:
        until = min(project.last_request_day or history.end, history.end)
        active_days = max(1, (until - project.start).days + 1)
        labour_per_day = (
            expected.get(project.index, 0.0) / active_days * MEAN_HOURS_PER_REQUEST * rate
        )
        markup = rng.uniform(1.6, 2.4) if rng.random() < 0.85 else rng.uniform(0.95, 1.2)
        monthly = Decimal(labour_per_day * 30.44 * (1 + OTHER_COSTS_SHARE) * markup)
        monthly = min(max(monthly, MINIMUM_MONTHLY_FEE), MAXIMUM_MONTHLY_FEE)
        project.budget = to_money((monthly * project.contract_months).quantize(Decimal("1E4")))
        project.monthly_fee = to_money(
            (project.budget / project.contract_months).quantize(_HUNDREDS)
        )


def _months(project: ProjectPlan, history: History) -> Iterator[tuple[date, date, date]]:
    """(month start, first active day, last active day) of each month the project ran
    (billing and costs stop when a project is put on hold)."""
    last = min(project.last_request_day or history.end, history.end)
    month = month_start(project.start)
    while month <= last:
        yield month, max(month, project.start), min(next_month(month) - timedelta(days=1), last)
        month = next_month(month)


def project_costs(
    rng: random.Random, company: Company, history: History, first_id: int
) -> Iterator[list[Row]]:
    """The costs of each project in turn, ids from `first_id`."""
    next_id = first_id
    categories = [c for c, _, _ in _COST_CATEGORIES]
    weights = [w for _, w, _ in _COST_CATEGORIES]
    shares = {c: s for c, _, s in _COST_CATEGORIES}
    for project in company.projects:
        rows: list[Row] = []
        for _, first, last in _months(project, history):
            for _ in range(rng.choices((0, 1, 2, 3), (25, 40, 25, 10))[0]):
                category = rng.choices(categories, weights)[0]
                amount = to_money(project.monthly_fee * Decimal(rng.uniform(*shares[category])))
                if amount <= 0:
                    continue
                day = first + timedelta(days=rng.randint(0, (last - first).days))
                item = rng.choice(names.COST_ITEMS[category.value])
                at = history.at(day, 12)
                rows.append((next_id, project.id, day, category.value, item, amount, at, at))
                next_id += 1
        yield rows


@dataclass(slots=True)
class _Invoice:
    document_day: date
    project: ProjectPlan
    amount: Decimal
    description: str
    draft: bool


def invoices(
    rng: random.Random,
    company: Company,
    history: History,
    *,
    first_id: int,
    first_numbers: dict[int, int],
    currency: str,
    payment_days: int,
) -> tuple[list[Row], dict[int, int]]:
    """Every invoice, numbered `INV-YYYY-NNNNN` per year in document order, and the last
    number used in each year."""
    planned: list[_Invoice] = []
    for project in company.projects:
        if project.billed_by_milestones:
            planned += _milestones(project, history)
        else:
            planned += _monthly(rng, project, history)
    planned.sort(key=lambda invoice: (invoice.document_day, invoice.project.index))
    rows: list[Row] = []
    last_numbers: dict[int, int] = {}
    for offset, invoice in enumerate(planned):
        year = invoice.document_day.year
        number = last_numbers.get(year, first_numbers.get(year, 0)) + 1
        last_numbers[year] = number
        payer = company.customer(invoice.project.customer_id).payer
        rows.append(
            (first_id + offset, f"INV-{year}-{number:05d}", invoice.project.customer_id,
             invoice.project.id, invoice.amount, currency,
             *_settlement(rng, invoice, payer, history, payment_days))
        )  # fmt: skip
    return rows, last_numbers


def _monthly(rng: random.Random, project: ProjectPlan, history: History) -> Iterator[_Invoice]:
    for month, first, last in _months(project, history):
        length = (next_month(month) - month).days
        share = Decimal((last - first).days + 1) / length
        amount = to_money(
            (project.monthly_fee * share * Decimal(rng.uniform(0.95, 1.08))).quantize(_HUNDREDS)
        )
        amount = max(amount, Decimal("1000.00"))
        period = f"{month:%B %Y}"
        description = f"Maintenance services for {period} under contract {project.code}"
        closing = project.end_date is not None and last == project.end_date
        issue = last + timedelta(days=rng.randint(1, 5)) if closing else next_month(month)
        if issue <= history.end:
            yield _Invoice(issue, project, amount, description, draft=False)
        elif project.last_request_day is None and rng.random() < 0.4:
            drafted = max(month, history.end - timedelta(days=rng.randint(0, 5)))
            yield _Invoice(drafted, project, amount, description, draft=True)


def _milestones(project: ProjectPlan, history: History) -> Iterator[_Invoice]:
    contract_days = project.contract_months * 30.44
    reached = Decimal(0)
    for index, share in enumerate(_MILESTONES, start=1):
        reached += share
        due = project.start + timedelta(days=int(contract_days * float(reached)))
        if project.end_date is not None and (due > project.end_date or index == len(_MILESTONES)):
            due = project.end_date
        if due > history.end:
            return
        description = f"Milestone {index} of {len(_MILESTONES)}: {project.name}"
        yield _Invoice(due, project, to_money(project.budget * share), description, draft=False)
        if due == project.end_date:
            return


def _settlement(
    rng: random.Random, invoice: _Invoice, payer: str, history: History, payment_days: int
) -> tuple[Any, ...]:
    """The invoice's state at the end of the history, as the columns from `status` on."""
    day = invoice.document_day
    created = history.at(day, 10, rng.randrange(60))
    if invoice.draft:
        return _columns(InvoiceStatus.draft, invoice, created)
    due = day + timedelta(days=payment_days)
    if rng.random() < 0.02:
        cancelled = day + timedelta(days=rng.randint(1, 14))
        if cancelled <= history.end:
            return _columns(
                InvoiceStatus.cancelled, invoice, created, history.at(cancelled, 11),
                issued=day, due=due, cancelled=cancelled,
                reason=names.pick(rng, names.INVOICE_CANCELLATIONS),
            )  # fmt: skip
    delay = _payment_delay(rng, payer, payment_days)
    if delay is not None and day + timedelta(days=delay) <= history.end:
        paid = day + timedelta(days=delay)
        return _columns(
            InvoiceStatus.paid,
            invoice,
            created,
            history.at(paid, 15),
            issued=day,
            due=due,
            paid=paid,
        )
    return _columns(InvoiceStatus.issued, invoice, created, issued=day, due=due)


def _columns(
    status: InvoiceStatus,
    invoice: _Invoice,
    created: datetime,
    updated: datetime | None = None,
    *,
    issued: date | None = None,
    due: date | None = None,
    paid: date | None = None,
    cancelled: date | None = None,
    reason: str | None = None,
) -> tuple[Any, ...]:
    return (
        status.value, invoice.description, issued, due, paid, cancelled, reason, created,
        updated or created,
    )  # fmt: skip


def _payment_delay(rng: random.Random, payer: str, payment_days: int) -> int | None:
    """Days from issue to payment; None for an invoice that is disputed and never paid."""
    on_time, late = _PAYMENT_HABITS[payer]
    roll = rng.random()
    if roll < on_time:
        return rng.randint(min(3, payment_days), max(3, payment_days - 2))
    if roll < on_time + late:
        return payment_days + rng.randint(3, 90 if payer == "chronic" else 45)
    return None
