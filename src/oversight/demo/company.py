"""The demo company's people and contracts: customers, staff, demo logins and projects.

Everything here is small (one row per customer, person or project) and kept in memory while
the requests, costs and invoices that refer to it are generated.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from oversight.demo import names
from oversight.demo.spec import DEMO_ACCOUNT_ROLES, DemoAccount, DemoSpec
from oversight.demo.working_time import History
from oversight.kit.money import to_money
from oversight.projects.models import ProjectStatus
from oversight.vocabulary import Role

Row = tuple[Any, ...]

CUSTOMER_COLUMNS = (
    "id", "name", "contact_person", "phone", "email", "address", "created_at", "updated_at",
)  # fmt: skip
USER_COLUMNS = (
    "id", "username", "full_name", "email", "phone", "password_hash", "role", "customer_id",
    "weekly_capacity_hours", "cost_rate", "is_active", "created_at", "updated_at",
)  # fmt: skip
PROJECT_COLUMNS = (
    "id", "code", "name", "description", "customer_id", "manager_id", "budget", "status",
    "start_date", "end_date", "created_at", "updated_at",
)  # fmt: skip

PAYERS = ("punctual", "punctual", "punctual", "late", "late", "chronic")
CAPACITIES = (Decimal(32), Decimal(36), Decimal(40), Decimal(40), Decimal(40))


@dataclass(slots=True)
class CustomerPlan:
    id: int
    name: str
    domain: str
    payer: str
    client_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class EngineerPlan:
    id: int
    capacity: Decimal
    cost_rate: Decimal


@dataclass(slots=True)
class ProjectPlan:
    """A contract. Requests arrive from `start` to `last_request_day` (None: to the end)."""

    index: int
    id: int
    number: int
    name: str
    customer_id: int
    manager_id: int
    start: date
    status: ProjectStatus
    end_date: date | None
    last_request_day: date | None
    weight: float
    contract_months: int
    billed_by_milestones: bool
    created_at: datetime
    updated_at: datetime
    budget: Decimal = Decimal(0)
    monthly_fee: Decimal = Decimal(0)

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.last_request_day is None or day <= self.last_request_day)

    @property
    def code(self) -> str:
        return f"PRJ-{self.number:04d}"


@dataclass(slots=True)
class Company:
    customers: list[CustomerPlan] = field(default_factory=list)
    engineers: list[EngineerPlan] = field(default_factory=list)
    manager_ids: list[int] = field(default_factory=list)
    projects: list[ProjectPlan] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)
    customer_rows: list[Row] = field(default_factory=list)
    user_rows: list[Row] = field(default_factory=list)

    def customer(self, customer_id: int) -> CustomerPlan:
        return self.customers[customer_id - self.customers[0].id]

    @property
    def mean_cost_rate(self) -> Decimal:
        return sum((e.cost_rate for e in self.engineers), Decimal(0)) / len(self.engineers)


@dataclass(slots=True)
class _Usernames:
    taken: set[str]

    def claim(self, wanted: str) -> str:
        candidate, suffix = wanted, 1
        while candidate in self.taken:
            suffix += 1
            candidate = f"{wanted}{suffix}"
        self.taken.add(candidate)
        return candidate


def build_company(
    rng: random.Random,
    spec: DemoSpec,
    history: History,
    *,
    first_ids: dict[str, int],
    first_project_number: int,
    taken_usernames: Iterable[str],
    password_hash: str,
    staff_domain: str,
) -> Company:
    """Customers, staff (with the demo logins when asked) and project skeletons without budgets."""
    company = Company()
    _add_customers(rng, company, spec.customers, history, first_ids["customers"])
    staff = _StaffBuilder(
        rng, company, history, first_ids["users"], _Usernames(set(taken_usernames)),
        password_hash, staff_domain,
    )  # fmt: skip
    staff.add_all(spec)
    _add_projects(rng, company, spec.projects, history, first_ids["projects"], first_project_number)
    _ensure_a_late_payer(company)
    return company


def _ensure_a_late_payer(company: Company) -> None:
    """Every company has one customer who pays late: the one with the oldest monthly-billed
    contract after the first, so overdue invoices show up even in small loads."""
    monthly = [p for p in company.projects if not p.billed_by_milestones]
    candidates = [p for p in monthly if p.index > 0] or monthly or company.projects
    oldest = min(candidates, key=lambda project: (project.start, project.index))
    company.customer(oldest.customer_id).payer = "chronic"


def _add_customers(
    rng: random.Random, company: Company, count: int, history: History, first_id: int
) -> None:
    seen: set[str] = set()
    for index in range(count):
        stem, trade = rng.choice(names.COMPANY_STEMS), rng.choice(names.COMPANY_TRADES)
        base = f"{stem} {trade}"
        title, copy = base, 1
        while title in seen:
            copy += 1
            title = f"{base} {copy}"
        seen.add(title)
        name = f"{title} {rng.choice(names.COMPANY_FORMS)}"
        city, area = rng.choice(names.CITIES)
        contact = names.person(rng)
        domain = f"{names.slug(title)}.example"
        address = f"{rng.randint(1, 180)} {rng.choice(names.STREETS)}, {city}"
        created = history.at(history.start - timedelta(days=rng.randint(5, 120)), 10, 30)
        payer = rng.choice(PAYERS)
        company.customers.append(CustomerPlan(first_id + index, name, domain, payer))
        company.customer_rows.append(
            (first_id + index, name, contact.full_name, names.phone(rng, area),
             names.email(contact, domain), address, created, created)
        )  # fmt: skip


class _StaffBuilder:
    def __init__(
        self,
        rng: random.Random,
        company: Company,
        history: History,
        first_id: int,
        usernames: _Usernames,
        password_hash: str,
        domain: str,
    ) -> None:
        self.rng, self.company, self.history = rng, company, history
        self.next_id, self.usernames = first_id, usernames
        self.password_hash, self.domain = password_hash, domain

    def add_all(self, spec: DemoSpec) -> None:
        demo = dict(DEMO_ACCOUNT_ROLES) if spec.with_accounts else {}
        for username, role in demo.items():
            if role not in (Role.project_manager, Role.engineer, Role.client):
                self._add(role, username=username)
        for index in range(spec.project_managers):
            login = "pm" if index == 0 and demo else None
            self.company.manager_ids.append(self._add(Role.project_manager, username=login))
        for index in range(spec.engineers):
            login = "engineer" if index == 0 and demo else None
            capacity = self.rng.choice(CAPACITIES)
            rate = to_money(Decimal(self.rng.randrange(1200, 2201, 50)))
            user_id = self._add(Role.engineer, username=login, capacity=capacity, rate=rate)
            self.company.engineers.append(EngineerPlan(user_id, capacity, rate))
        if demo:
            customer = self.company.customers[0]
            contact = self.company.customer_rows[0]
            customer.client_user_id = self._add(
                Role.client, username="client", customer_id=customer.id,
                full_name=contact[2], phone=contact[3], email=contact[4],
            )  # fmt: skip

    def _add(
        self,
        role: Role,
        *,
        username: str | None,
        capacity: Decimal | None = None,
        rate: Decimal | None = None,
        customer_id: int | None = None,
        full_name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> int:
        rng = self.rng
        who = names.person(rng)
        login = self.usernames.claim(username or who.login)
        if username is not None:
            self.company.accounts.append(DemoAccount(login, role))
        full_name = full_name or who.full_name
        email = email or f"{login}@{self.domain}"
        phone = phone or names.phone(rng, "495")
        hired = self.history.start - timedelta(days=rng.randint(30, 900))
        created = self.history.at(hired, 9, rng.randrange(0, 60))
        user_id = self.next_id
        self.next_id += 1
        self.company.user_rows.append(
            (user_id, login, full_name, email, phone, self.password_hash, role.value,
             customer_id, capacity, rate, True, created, created)
        )  # fmt: skip
        return user_id


def _add_projects(
    rng: random.Random,
    company: Company,
    count: int,
    history: History,
    first_id: int,
    first_number: int,
) -> None:
    customers, managers = company.customers, company.manager_ids
    last_start = max(history.start, history.end - timedelta(days=45))
    spread = (last_start - history.start).days
    for index in range(count):
        if index < len(customers):
            customer = customers[index]
        else:
            customer = customers[min(int(rng.paretovariate(1.2)) - 1, len(customers) - 1)]
        if index == 0 or rng.random() < 0.5:
            start = history.start + timedelta(days=rng.randint(0, min(27, spread)) if index else 0)
        else:
            start = history.start + timedelta(days=rng.randint(0, spread))
        status, end_date, last_day = _project_fate(rng, index, start, history)
        elapsed = (min(end_date or history.end, history.end) - start).days / 30.44
        if end_date is not None:
            contract = max(2, math.ceil(elapsed))
        else:
            contract = max(rng.choice((12, 12, 24, 36)), math.ceil(elapsed) + 3)
        kind = rng.choice(names.PROJECT_KINDS)
        short = customer.name.rsplit(" ", 1)[0]
        created = history.at(start - timedelta(days=rng.randint(3, 20)), 11)
        touched = created
        if end_date is not None:
            touched = history.at(end_date, 17)
        elif last_day is not None:
            touched = history.at(last_day, 10)
        company.projects.append(
            ProjectPlan(
                index=index, id=first_id + index, number=first_number + index,
                name=f"{kind}, {short}", customer_id=customer.id,
                manager_id=managers[0] if index == 0 else managers[index % len(managers)],
                start=start, status=status, end_date=end_date, last_request_day=last_day,
                weight=1.5 if index == 0 else rng.lognormvariate(0, 0.5),
                contract_months=contract, billed_by_milestones=index > 0 and rng.random() < 0.25,
                created_at=created, updated_at=touched,
            )
        )  # fmt: skip


def _project_fate(
    rng: random.Random, index: int, start: date, history: History
) -> tuple[ProjectStatus, date | None, date | None]:
    """(status, end_date, last day with new requests)."""
    roll = rng.random()
    if index == 0:
        return ProjectStatus.active, None, None
    earliest_end, latest_end = start + timedelta(days=60), history.end - timedelta(days=20)
    if roll < 0.2 and earliest_end <= latest_end:
        end = earliest_end + timedelta(days=rng.randint(0, (latest_end - earliest_end).days))
        return ProjectStatus.completed, end, end
    hold_from, hold_to = start + timedelta(days=30), history.end - timedelta(days=10)
    if roll < 0.26 and hold_from <= hold_to:
        held = hold_from + timedelta(days=rng.randint(0, (hold_to - hold_from).days))
        return ProjectStatus.on_hold, None, held
    return ProjectStatus.active, None, None


def project_rows(company: Company) -> list[Row]:
    rows = []
    for project in company.projects:
        customer = company.customer(project.customer_id)
        description = (
            f"{project.name.split(',')[0]} for {customer.name}: scheduled maintenance, "
            f"call-outs and repairs under an SLA, {project.contract_months}-month contract."
        )
        rows.append(
            (project.id, project.code, project.name, description, project.customer_id,
             project.manager_id, project.budget, project.status.value, project.start,
             project.end_date, project.created_at, project.updated_at)
        )  # fmt: skip
    return rows
