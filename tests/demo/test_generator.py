"""The demo company: invariants of the generated history, reproducibility, guards, counters.

The generator commits, so it never runs against the shared `engine`: each load gets a fresh
database of its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.customers.models import Customer
from oversight.db.migrate import upgrade
from oversight.db.sequences import next_value
from oversight.demo.generator import (
    DEMO_PASSWORD,
    DemoDataError,
    DemoSpec,
    DemoSummary,
    database_is_empty,
    generate,
)
from oversight.demo.loader import BulkWriter, ChunkPipeline, Rows
from oversight.security.passwords import verify_password
from oversight.service_requests.sla import due_dates, resume_after_pause
from oversight.users.models import User
from oversight.vocabulary import Priority, Role
from oversight.wiring import open_database

END = date(2026, 11, 20)
SPEC = DemoSpec(
    customers=6, engineers=5, project_managers=2, projects=8, requests=1500, months=12, end=END
)
OPEN = ("new", "assigned", "in_progress", "awaiting_approval")


def make_settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, env="test", database={"url": database_url}
    )


@dataclass(frozen=True)
class Loaded:
    engine: Engine
    settings: Settings
    summary: DemoSummary

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    @property
    def as_of(self) -> datetime:
        zone = ZoneInfo(self.settings.company.timezone)
        return datetime.combine(END + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def fresh_engine(url: str) -> tuple[Engine, Settings]:
    settings = make_settings(url)
    engine = open_database(settings)
    upgrade(engine)
    return engine, settings


@pytest.fixture(scope="module")
def loaded(backend: str, database_url_factory: Any) -> Iterator[Loaded]:
    """One demo company per backend, shared by the read-only invariant tests."""
    engine, settings = fresh_engine(database_url_factory(backend))
    summary = generate(engine, settings, SPEC)
    yield Loaded(engine, settings, summary)
    engine.dispose()


@pytest.fixture
def rollback(loaded: Loaded) -> Iterator[Session]:
    """A session on the loaded database whose changes are thrown away."""
    with loaded.engine.connect() as connection:
        transaction = connection.begin()
        yield Session(bind=connection)
        transaction.rollback()


def aware(value: datetime | str | None) -> datetime | None:
    """A timestamp from a raw row (SQLite gives naive UTC text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def contacts(engine: Engine) -> list[tuple[Any, ...]]:
    """Every decrypted contact detail, in id order."""
    with Session(engine) as session:
        customers = session.scalars(select(Customer).order_by(Customer.id))
        users = session.scalars(select(User).order_by(User.id))
        return [(c.id, c.contact_person, c.phone, c.email) for c in customers] + [
            (u.id, u.full_name, u.email, u.phone) for u in users
        ]


def digest(engine: Engine, table: str, columns: str = "*") -> str:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY id"))  # noqa: S608
        return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


# --- what was inserted ---------------------------------------------------------------


def test_summary_counts_the_rows_in_each_table(loaded: Loaded) -> None:
    for table, count in loaded.summary.counts.items():
        assert loaded.scalar(f"SELECT count(*) FROM {table}") == count, table  # noqa: S608
    assert loaded.summary.counts["service_requests"] == SPEC.requests
    assert loaded.summary.counts["customers"] == SPEC.customers
    assert loaded.summary.counts["projects"] == SPEC.projects


def test_summary_lists_one_demo_account_per_role(loaded: Loaded) -> None:
    accounts = {account.username: account.role for account in loaded.summary.accounts}
    assert accounts == {
        "admin": Role.admin,
        "director": Role.director,
        "accountant": Role.accountant,
        "pm": Role.project_manager,
        "engineer": Role.engineer,
        "client": Role.client,
        "viewer": Role.viewer,
    }
    assert loaded.summary.password == DEMO_PASSWORD
    assert (loaded.summary.history_start, loaded.summary.history_end) == (date(2025, 11, 20), END)


def test_demo_accounts_sign_in_with_the_demo_password(loaded: Loaded) -> None:
    hashes = dict(loaded.rows("SELECT username, password_hash FROM users"))
    assert verify_password(hashes["client"], DEMO_PASSWORD)
    assert len(set(hashes.values())) == 1, "every generated user shares one hash"


def test_demo_accounts_see_data_in_their_scope(loaded: Loaded) -> None:
    client_requests = loaded.scalar(
        "SELECT count(*) FROM service_requests r JOIN users u ON u.customer_id = r.customer_id "
        "WHERE u.username = 'client'"
    )
    client_projects = loaded.scalar(
        "SELECT count(*) FROM projects p JOIN users u ON u.customer_id = p.customer_id "
        "WHERE u.username = 'client'"
    )
    managed = loaded.scalar(
        "SELECT count(*) FROM projects p JOIN users u ON u.id = p.manager_id "
        "WHERE u.username = 'pm'"
    )
    assigned = loaded.scalar(
        "SELECT count(*) FROM service_requests r JOIN users u ON u.id = r.assigned_engineer_id "
        "WHERE u.username = 'engineer'"
    )
    assert min(client_requests, client_projects, managed, assigned) > 0


def test_staff_have_realistic_names_capacities_and_rates(loaded: Loaded) -> None:
    with Session(loaded.engine) as session:
        engineers = [
            (user.username, user.full_name, user.weekly_capacity_hours, user.cost_rate)
            for user in session.scalars(select(User).where(User.role == Role.engineer))
        ]
    assert len(engineers) == SPEC.engineers
    for username, full_name, capacity, rate in engineers:
        assert username == "engineer" or "." in username
        assert len(full_name.split()) == 2
        assert Decimal(32) <= Decimal(str(capacity)) <= Decimal(40)
        assert Decimal(1200) <= Decimal(str(rate)) <= Decimal(2200)


def test_database_is_empty_only_before_the_load(loaded: Loaded, database_url_factory: Any) -> None:
    engine, _ = fresh_engine(database_url_factory("sqlite"))
    assert database_is_empty(engine)
    assert not database_is_empty(loaded.engine)


def test_a_second_load_is_refused(loaded: Loaded) -> None:
    with pytest.raises(DemoDataError, match="already has customers"):
        generate(loaded.engine, loaded.settings, SPEC)


# --- service requests ----------------------------------------------------------------


def test_requests_close_complete_and_respond_after_they_are_created(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT created_at, first_response_at, completed_at, closed_at, cancelled_at, updated_at "
        "FROM service_requests"
    )
    for row in rows:
        created, responded, completed, closed, cancelled, updated = map(aware, row)
        assert created is not None
        assert updated is not None
        assert responded is None or responded >= created
        assert closed is None or closed >= created
        assert completed is None or created <= completed <= (closed or loaded.as_of)
        assert cancelled is None or cancelled >= created
        assert created <= updated <= loaded.as_of


def test_status_agrees_with_the_timestamps(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT status, assigned_engineer_id, first_response_at, completed_at, sla_paused_at, "
        "closed_at, cancelled_at FROM service_requests"
    )
    for status, engineer, responded, completed, paused, closed, cancelled in rows:
        assert (closed is not None) == (status == "closed")
        assert (cancelled is not None) == (status == "cancelled")
        assert (paused is not None) == (status == "awaiting_approval")
        if status == "awaiting_approval":
            assert aware(paused) == aware(completed)
        if status in ("new", "assigned", "in_progress"):
            assert completed is None
        if status == "closed":
            assert completed is not None
            assert responded is not None
        if status == "new":
            assert engineer is None
            assert responded is None
        if status == "assigned":
            assert engineer is not None
            assert responded is None
        if status in ("in_progress", "awaiting_approval", "closed"):
            assert engineer is not None
            assert responded is not None


def test_every_status_occurs_and_old_requests_are_finished(loaded: Loaded) -> None:
    statuses = dict(loaded.rows("SELECT status, count(*) FROM service_requests GROUP BY status"))
    assert statuses["closed"] > 0.8 * SPEC.requests
    assert statuses["cancelled"] > 0
    assert sum(statuses.get(status, 0) for status in OPEN) > 0
    assert len([status for status in OPEN if statuses.get(status)]) >= 3
    cutoff = loaded.as_of - timedelta(days=120)
    still_open = [
        created
        for created, status in loaded.rows("SELECT created_at, status FROM service_requests")
        if status in OPEN and aware(created) < cutoff  # type: ignore[operator]
    ]
    assert still_open == []


def test_numbers_follow_creation_order(loaded: Loaded) -> None:
    rows = loaded.rows("SELECT id, number, created_at FROM service_requests ORDER BY id")
    assert [number for _, number, _ in rows] == [f"SR-{n:06d}" for n in range(1, len(rows) + 1)]
    created = [aware(value) for _, _, value in rows]
    assert created == sorted(created)  # type: ignore[type-var]


def test_priorities_follow_the_mix(loaded: Loaded) -> None:
    shares = Counter(p for (p,) in loaded.rows("SELECT priority FROM service_requests"))
    total = sum(shares.values())
    assert 0.02 < shares["critical"] / total < 0.09
    assert 0.15 < shares["high"] / total < 0.25
    assert 0.43 < shares["medium"] / total < 0.57
    assert 0.19 < shares["low"] / total < 0.31


def test_most_requests_arrive_in_working_hours_and_recent_months_are_busier(
    loaded: Loaded,
) -> None:
    zone = ZoneInfo(loaded.settings.company.timezone)
    local = [
        aware(created).astimezone(zone)  # type: ignore[union-attr]
        for (created,) in loaded.rows("SELECT created_at FROM service_requests")
    ]
    working = [t for t in local if t.isoweekday() <= 5 and time(9) <= t.time() < time(18)]
    assert 0.7 < len(working) / len(local) < 0.95
    half = SPEC.end - timedelta(days=183)  # type: ignore[operator]
    recent = sum(1 for t in local if t.date() > half)
    assert recent > len(local) - recent


def test_request_customer_is_its_project_customer(loaded: Loaded) -> None:
    mismatched = loaded.scalar(
        "SELECT count(*) FROM service_requests r JOIN projects p ON p.id = r.project_id "
        "WHERE r.customer_id <> p.customer_id"
    )
    assert mismatched == 0
    assert loaded.scalar("SELECT count(*) FROM service_requests WHERE project_id IS NULL") > 0


def test_due_dates_follow_the_sla_policy_and_its_pauses(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT id, priority, status, created_at, response_due_at, resolution_due_at, "
        "completed_at, closed_at FROM service_requests"
    )
    decisions = Counter(
        request_id for (request_id,) in loaded.rows("SELECT request_id FROM completion_approvals")
    )
    checked = 0
    for request_id, priority, status, *stamps in rows:
        created, response_due, resolution_due, completed, closed = map(aware, stamps)
        assert created is not None
        due = due_dates(loaded.settings, Priority(priority), created)
        assert response_due == due.response_due_at
        assert resolution_due >= due.resolution_due_at  # type: ignore[operator]
        if decisions[request_id] == 0:
            assert resolution_due == due.resolution_due_at
        elif status == "closed" and decisions[request_id] == 1:
            assert completed is not None
            assert closed is not None
            expected = resume_after_pause(loaded.settings, due.resolution_due_at, completed, closed)
            assert resolution_due == expected
            checked += 1
    assert checked > SPEC.requests // 2


def test_sla_is_mostly_met_with_a_realistic_share_of_misses(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT priority, closed_at > resolution_due_at FROM service_requests "
        "WHERE status = 'closed'"
    )
    late = Counter(priority for priority, is_late in rows if is_late)
    closed = Counter(priority for priority, _ in rows)
    share = sum(late.values()) / sum(closed.values())
    assert 0.08 < share < 0.22
    assert late["critical"] / closed["critical"] > share
    responded_late = loaded.scalar(
        "SELECT count(*) FROM service_requests WHERE first_response_at > response_due_at"
    )
    assert 0 < responded_late < 0.2 * SPEC.requests


def test_revisions_count_rejections_and_reopenings(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT r.status, r.revision_count, "
        "sum(CASE WHEN a.decision = 'rejected' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.decision = 'approved' THEN 1 ELSE 0 END) "
        "FROM service_requests r LEFT JOIN completion_approvals a ON a.request_id = r.id "
        "GROUP BY r.id, r.status, r.revision_count"
    )
    reopened = 0
    for status, revisions, rejected, approved in rows:
        rejected, approved = rejected or 0, approved or 0
        closes = 1 if status == "closed" else 0
        assert revisions == rejected + approved - closes
        reopened += approved - closes
    assert reopened > 0
    assert sum(rejected or 0 for _, _, rejected, _ in rows) > 0


def test_rejections_carry_a_comment_and_decisions_follow_completion(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT a.decision, a.comment, a.decided_at, r.created_at "
        "FROM completion_approvals a JOIN service_requests r ON r.id = a.request_id"
    )
    for decision, comment, decided, created in rows:
        assert aware(created) <= aware(decided) <= loaded.as_of  # type: ignore[operator]
        if decision == "rejected":
            assert comment


def test_work_logs_belong_to_the_assigned_engineer_within_the_request(loaded: Loaded) -> None:
    zone = ZoneInfo(loaded.settings.company.timezone)
    rows = loaded.rows(
        "SELECT w.hours, w.work_date, w.engineer_id, r.assigned_engineer_id, r.created_at "
        "FROM work_logs w JOIN service_requests r ON r.id = w.request_id"
    )
    assert rows
    for hours, work_date, engineer, assigned, created in rows:
        hours = Decimal(str(hours))
        assert Decimal("0.5") <= hours <= Decimal(8)
        assert hours % Decimal("0.25") == 0
        assert engineer == assigned
        created_day = aware(created).astimezone(zone).date()  # type: ignore[union-attr]
        assert created_day <= day(work_date) <= END


def test_work_per_request_is_realistic(loaded: Loaded) -> None:
    totals = [
        Decimal(str(total))
        for (total,) in loaded.rows(
            "SELECT sum(hours) FROM work_logs w JOIN service_requests r ON r.id = w.request_id "
            "WHERE r.status = 'closed' GROUP BY w.request_id"
        )
    ]
    mean = sum(totals) / len(totals)
    assert Decimal(3) < mean < Decimal(8)
    unlogged = loaded.scalar(
        "SELECT count(*) FROM service_requests r WHERE r.status = 'closed' AND NOT EXISTS "
        "(SELECT 1 FROM work_logs w WHERE w.request_id = r.id)"
    )
    assert unlogged == 0


# --- projects, costs, invoices --------------------------------------------------------


def test_projects_have_managers_budgets_and_dates_within_the_history(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT code, status, budget, start_date, end_date, manager_id FROM projects ORDER BY id"
    )
    assert [code for code, *_ in rows] == [f"PRJ-{n:04d}" for n in range(1, len(rows) + 1)]
    for _, status, budget, start, end, manager in rows:
        assert manager is not None
        assert Decimal(str(budget)) > 0
        assert loaded.summary.history_start <= day(start) <= END
        assert (end is not None) == (status == "completed")
        assert end is None or day(start) <= day(end) <= END
    assert Counter(status for _, status, *_ in rows)["active"] > len(rows) // 2


def test_project_costs_fall_within_each_project(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT c.incurred_on, c.amount, c.category, p.start_date, p.end_date "
        "FROM project_costs c JOIN projects p ON p.id = c.project_id"
    )
    for incurred, amount, _, start, end in rows:
        assert Decimal(str(amount)) > 0
        assert day(start) <= day(incurred) <= day(end or END)
    assert {category for _, _, category, _, _ in rows} >= {"materials", "travel"}


def test_invoice_dates_are_ordered_and_never_in_the_future(loaded: Loaded) -> None:
    rows = loaded.rows(
        "SELECT number, status, amount, currency, issued_on, due_on, paid_on, cancelled_on, "
        "cancellation_reason FROM invoices"
    )
    for number, status, amount, currency, issued, due, paid, cancelled, reason in rows:
        assert (reason is not None) == (status == "cancelled")
        assert number.startswith("INV-")
        assert Decimal(str(amount)) > 0
        assert currency == loaded.settings.company.currency
        if status == "draft":
            assert issued is None
            assert due is None
            assert paid is None
            continue
        issued, due = day(issued), day(due)
        assert number.startswith(f"INV-{issued.year}-")
        assert issued <= due
        assert issued <= END
        assert (paid is not None) == (status == "paid")
        assert (cancelled is not None) == (status == "cancelled")
        assert paid is None or issued <= day(paid) <= END
        assert cancelled is None or issued <= day(cancelled) <= END


def test_invoices_show_every_payment_situation(loaded: Loaded) -> None:
    rows = loaded.rows("SELECT status, due_on, paid_on FROM invoices")
    situations = Counter()
    for status, due, paid in rows:
        if status == "paid":
            situations["paid late" if day(paid) > day(due) else "paid on time"] += 1
        elif status == "issued":
            situations["overdue" if day(due) < END else "not yet due"] += 1
        else:
            situations[status] += 1
    assert set(situations) >= {"paid on time", "paid late", "overdue", "not yet due", "draft"}
    assert situations["paid on time"] > situations["paid late"]


# --- counters and keys ----------------------------------------------------------------


def test_counters_continue_the_numbering(loaded: Loaded, rollback: Session) -> None:
    assert next_value(rollback, "service_request") == SPEC.requests + 1
    assert next_value(rollback, "project") == SPEC.projects + 1
    for year in (2025, 2026):
        last = loaded.scalar(
            "SELECT max(number) FROM invoices WHERE number LIKE :prefix", prefix=f"INV-{year}-%"
        )
        assert next_value(rollback, f"invoice-{year}") == int(last.rsplit("-", 1)[1]) + 1


def test_new_rows_get_keys_after_the_generated_ones(loaded: Loaded, rollback: Session) -> None:
    customer = Customer(name="Walk-in Customer LLC")
    user = User(username="new.user", full_name="New User", password_hash="x", role=Role.viewer)
    rollback.add_all([customer, user])
    rollback.flush()
    assert customer.id == SPEC.customers + 1
    assert user.id == loaded.summary.counts["users"] + 1


def write_all(pipeline: ChunkPipeline, chunk: list[Rows]) -> None:
    pipeline.start()
    pipeline.submit(chunk, units=len(chunk))
    pipeline.close()


def test_a_failed_chunk_is_raised_and_rolled_back(loaded: Loaded) -> None:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    columns = ("id", "name", "row_uid", "created_at", "updated_at")
    rows = [
        (SPEC.customers + 1, "New LLC", uuid.uuid4(), stamp, stamp),
        (1, "Duplicate LLC", uuid.uuid4(), stamp, stamp),
    ]
    with Session(loaded.engine) as session:
        pipeline = ChunkPipeline(BulkWriter(session))
        # The driver's own error: psycopg's UniqueViolation, SQLAlchemy's IntegrityError.
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            write_all(pipeline, [Rows("customers", columns, rows)])
    assert loaded.scalar("SELECT count(*) FROM customers") == SPEC.customers


# --- reproducibility, guards, validation ---------------------------------------------


def test_same_seed_gives_identical_data(database_url_factory: Any) -> None:
    spec = DemoSpec(customers=4, projects=5, requests=400, months=6, end=END, seed=99)
    first, settings = fresh_engine(database_url_factory("sqlite"))
    second, _ = fresh_engine(database_url_factory("sqlite"))
    generate(first, settings, spec)
    generate(second, settings, spec)
    # Ciphertexts differ (random nonces and row ids); the contact details they hold do not.
    user_columns = "id, username, role, customer_id, cost_rate"
    assert contacts(first) == contacts(second)
    for table, columns in [
        ("service_requests", "*"),
        ("completion_approvals", "*"),
        ("work_logs", "*"),
        ("invoices", "*"),
        ("project_costs", "*"),
        ("projects", "*"),
        ("customers", "id, name, address, created_at, updated_at"),
        ("users", user_columns),
    ]:
        assert digest(first, table, columns) == digest(second, table, columns), table


def test_another_seed_gives_other_data(database_url_factory: Any) -> None:
    spec = DemoSpec(customers=3, projects=3, requests=100, months=3, end=END, seed=1)
    first, settings = fresh_engine(database_url_factory("sqlite"))
    second, _ = fresh_engine(database_url_factory("sqlite"))
    generate(first, settings, spec)
    generate(second, settings, dataclasses.replace(spec, seed=2))
    assert digest(first, "service_requests") != digest(second, "service_requests")


def test_taken_demo_login_is_refused(database_url_factory: Any) -> None:
    engine, settings = fresh_engine(database_url_factory("sqlite"))
    with Session(engine) as session:
        session.add(
            User(username="admin", full_name="Site Admin", password_hash="x", role=Role.admin)
        )
        session.commit()
    spec = DemoSpec(customers=2, projects=2, requests=10, months=2, end=END)
    with pytest.raises(DemoDataError, match="admin"):
        generate(engine, settings, spec)
    assert database_is_empty(engine)


def test_without_accounts_or_requests_only_the_company_is_loaded(
    database_url_factory: Any,
) -> None:
    engine, settings = fresh_engine(database_url_factory("sqlite"))
    with Session(engine) as session:
        session.add(
            User(username="root", full_name="Installer", password_hash="x", role=Role.admin)
        )
        session.commit()
    spec = DemoSpec(customers=3, projects=4, requests=0, months=3, end=END, with_accounts=False)
    seen: list[tuple[str, int, int]] = []
    summary = generate(engine, settings, spec, progress=lambda *event: seen.append(event))
    assert summary.accounts == ()
    assert summary.password is None
    assert summary.counts["service_requests"] == 0
    with engine.connect() as connection:
        usernames = set(connection.scalars(text("SELECT username FROM users")))
        counters = set(connection.scalars(text("SELECT name FROM number_sequences")))
    assert "admin" not in usernames
    assert "root" in usernames
    assert len(usernames) == 1 + spec.engineers + spec.project_managers
    assert "service_request" not in counters
    assert "project" in counters
    assert seen[0][0] == "company"
    assert seen[-1] == ("counters", 1, 1)


def test_progress_reports_each_committed_chunk(database_url_factory: Any) -> None:
    engine, settings = fresh_engine(database_url_factory("sqlite"))
    seen: list[tuple[str, int, int]] = []
    spec = DemoSpec(customers=2, projects=2, requests=12_000, months=2, end=END)
    generate(engine, settings, spec, progress=lambda *event: seen.append(event))
    requests = [(done, total) for stage, done, total in seen if stage == "service requests"]
    assert requests[-1] == (12_000, 12_000)
    assert [done for done, _ in requests] == sorted(done for done, _ in requests)
    assert {stage for stage, _, _ in seen} == {
        "company",
        "project costs",
        "service requests",
        "invoices",
        "counters",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customers", 0),
        ("engineers", 0),
        ("project_managers", -1),
        ("projects", 0),
        ("requests", -1),
        ("months", 0),
        ("months", 121),
        ("seed", "abc"),
        ("customers", 2.5),
        ("end", "2026-11-20"),
    ],
)
def test_invalid_spec_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        DemoSpec(**{field: value})  # type: ignore[arg-type]


def test_smallest_company_loads(database_url_factory: Any) -> None:
    engine, settings = fresh_engine(database_url_factory("sqlite"))
    spec = DemoSpec(
        customers=1, engineers=1, project_managers=1, projects=1, requests=50, months=1, end=END
    )
    summary = generate(engine, settings, spec)
    assert summary.counts["service_requests"] == 50
    assert summary.counts["invoices"] > 0
