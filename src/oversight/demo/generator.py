"""Load a realistic, reproducible history of a fire-safety maintenance company.

`generate` fills an empty database in chunks: memory stays flat whatever the number of
requests, and each chunk is committed as it is written.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.models import User
from oversight.config import Settings
from oversight.customers.models import Customer
from oversight.db.encrypted import keyring_for, seal_rows
from oversight.db.sequences import NumberSequence, advance_to
from oversight.demo import arrivals, finance, names
from oversight.demo.company import (
    CUSTOMER_COLUMNS,
    PROJECT_COLUMNS,
    USER_COLUMNS,
    build_company,
    project_rows,
)
from oversight.demo.lifecycle import APPROVAL_COLUMNS, REQUEST_COLUMNS, WORK_LOG_COLUMNS, Batch, Ids
from oversight.demo.loader import BulkWriter, ChunkPipeline, Rows, next_ids
from oversight.demo.service_desk import request_batches
from oversight.demo.spec import (
    DEMO_ACCOUNT_ROLES,
    DEMO_PASSWORD,
    DemoAccount,
    DemoDataError,
    DemoSpec,
    DemoSummary,
)
from oversight.demo.working_time import History, epoch
from oversight.kit.clock import utcnow
from oversight.security.passwords import hash_password, verify_password

__all__ = [
    "DEMO_PASSWORD",
    "DemoAccount",
    "DemoDataError",
    "DemoSpec",
    "DemoSummary",
    "Progress",
    "database_is_empty",
    "generate",
]

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`, called after each committed chunk."""

CHUNK_REQUESTS = 5000
_ACCOUNT_ORDER = [DemoAccount(username, role) for username, role in DEMO_ACCOUNT_ROLES]


def database_is_empty(engine: Engine) -> bool:
    """True when the database holds no business data yet (no customers).

    Users alone (say, an administrator created at installation) do not count.
    """
    with Session(engine) as session:
        return _is_empty(session)


def _is_empty(session: Session) -> bool:
    return session.scalar(select(Customer.id).limit(1)) is None


def generate(
    engine: Engine,
    settings: Settings,
    spec: DemoSpec,
    *,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty, migrated database with the demo company described by `spec`.

    The same spec (with an explicit `end`) gives the same rows, except password hashes, which
    carry a random salt. `progress` hears of stages "company", "project costs", "service
    requests", "invoices" and "counters" as they are committed, always from the calling
    thread. The number counters are advanced so later requests, projects and invoices
    continue the numbering, and on PostgreSQL the id sequences too.

    Raises DemoDataError if the database already has customers, or if a demo login name is
    taken. Chunks are committed as they are written: a load that fails halfway leaves a
    partial company behind, to be cleared before trying again.
    """
    report = progress or _silent
    with Session(engine) as session:
        taken, counters = _check_empty(session, spec)
        history = _history(settings, spec)
        rng = random.Random(spec.seed)
        ids = next_ids(session)
        company = build_company(
            rng, spec, history,
            first_ids=ids, first_project_number=counters.get("project", 0) + 1,
            taken_usernames=taken, password_hash=hash_password(DEMO_PASSWORD),
            staff_domain=f"{names.slug(settings.company.name)}.example",
        )  # fmt: skip
        plans = arrivals.plan_days(rng, history, spec.requests, company.projects)
        finance.set_budgets(rng, company, arrivals.expected_requests(plans), history)
        writer = BulkWriter(session)
        keyring = keyring_for(session)
        writer.write(
            Rows(
                "customers", *seal_rows(Customer, CUSTOMER_COLUMNS, company.customer_rows, keyring)
            )
        )
        writer.write(Rows("users", *seal_rows(User, USER_COLUMNS, company.user_rows, keyring)))
        writer.write(Rows("projects", PROJECT_COLUMNS, project_rows(company)))
        session.commit()
        report("company", 1, 1)

        costs = finance.project_costs(rng, company, history, ids["project_costs"])
        for done, rows in enumerate(costs, start=1):
            writer.write(Rows("project_costs", finance.COST_COLUMNS, rows))
            session.commit()
            report("project costs", done, len(company.projects))

        request_ids = Ids(ids["service_requests"], ids["completion_approvals"], ids["work_logs"])
        first_number = counters.get("service_request", 0)
        batches = request_batches(
            rng, settings, history, company, plans, request_ids, first_number, CHUNK_REQUESTS
        )
        _load_requests(writer, batches, spec.requests, report)

        rows, last_invoice = finance.invoices(
            rng, company, history,
            first_id=ids["invoices"], first_numbers=_invoice_counters(counters),
            currency=settings.company.currency,
            payment_days=settings.company.invoice_payment_days,
        )  # fmt: skip
        for start in range(0, len(rows), CHUNK_REQUESTS):
            chunk = rows[start : start + CHUNK_REQUESTS]
            writer.write(Rows("invoices", finance.INVOICE_COLUMNS, chunk))
            session.commit()
            report("invoices", start + len(chunk), len(rows))
        if not rows:
            report("invoices", 0, 0)

        if spec.requests:
            advance_to(session, "service_request", first_number + spec.requests)
        advance_to(session, "project", company.projects[-1].number)
        for year, number in sorted(last_invoice.items()):
            advance_to(session, f"invoice-{year}", number)
        writer.finish()
        # The bulk rows bypass change capture (they are seed data, loaded by COPY); one event
        # says what was loaded, so the trail still accounts for every row.
        record_event(
            session,
            "demo_data.loaded",
            details={"seed": spec.seed, "months": spec.months, "rows": dict(writer.counts)},
        )
        session.commit()
        report("counters", 1, 1)
        return DemoSummary(
            counts=dict(writer.counts),
            accounts=tuple(sorted(company.accounts, key=_ACCOUNT_ORDER.index)),
            history_start=history.start,
            history_end=history.end,
            password=DEMO_PASSWORD if company.accounts else None,
        )


def _check_empty(session: Session, spec: DemoSpec) -> tuple[set[str], dict[str, int]]:
    """Refuse a database with customers or with a demo login taken; return the user names
    in use and the number counters."""
    if not _is_empty(session):
        raise DemoDataError(
            "the database already has customers; demo data is only loaded into an empty database"
        )
    taken = set(session.scalars(select(User.username)))
    if spec.with_accounts:
        clash = sorted(taken & {username for username, _ in DEMO_ACCOUNT_ROLES})
        if clash:
            raise DemoDataError(
                f"user name(s) {', '.join(clash)} already exist; load without demo accounts "
                "or remove those users first"
            )
    counters = session.execute(select(NumberSequence.name, NumberSequence.last_value))
    return taken, {row.name: row.last_value for row in counters}


def _invoice_counters(counters: dict[str, int]) -> dict[int, int]:
    years = {name.removeprefix("invoice-"): value for name, value in counters.items()}
    return {int(year): value for year, value in years.items() if year.isdigit()}


def _history(settings: Settings, spec: DemoSpec) -> History:
    calendar = settings.company.calendar
    if spec.end is not None:
        return History(calendar, spec.end, spec.months)
    now = utcnow().replace(microsecond=0)
    return History(calendar, now.astimezone(calendar.timezone).date(), spec.months, epoch(now))


def _load_requests(
    writer: BulkWriter, batches: Iterator[Batch], total: int, report: Progress
) -> None:
    """Generate on this thread while the previous chunk is written on another."""
    pipeline = ChunkPipeline(writer)
    pipeline.start()
    try:
        for batch in batches:
            pipeline.submit(
                [
                    Rows("service_requests", REQUEST_COLUMNS, batch.requests),
                    Rows("completion_approvals", APPROVAL_COLUMNS, batch.approvals),
                    Rows("work_logs", WORK_LOG_COLUMNS, batch.work_logs),
                ],
                units=len(batch.requests),
            )
            report("service requests", pipeline.committed, total)
    except BaseException:
        pipeline.close(abort=True)
        raise
    pipeline.close()
    report("service requests", pipeline.committed, total)


def _silent(stage: str, done: int, total: int) -> None:
    return None


def usable_demo_accounts(engine: Engine) -> list[DemoAccount]:
    """The demo accounts that exist, are active and still open with DEMO_PASSWORD.

    Checking the password (not just the username) means a real `admin` account of a
    production database is never advertised as a demo login.
    """
    usernames = [account.username for account in _ACCOUNT_ORDER]
    with Session(engine) as session:
        users = {
            user.username: user
            for user in session.scalars(select(User).where(User.username.in_(usernames)))
        }
    return [
        account
        for account in _ACCOUNT_ORDER
        if (user := users.get(account.username)) is not None
        and user.is_active
        and verify_password(user.password_hash, DEMO_PASSWORD)
    ]
