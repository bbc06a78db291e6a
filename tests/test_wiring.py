"""One wiring point: a write has the same consequences from the API, the CLI and a job.

The session hooks are installed on the `Session` class, so inside this test process they are
on already (the `engine` fixture opens its database through `open_database`). The CLI and the
job therefore run in a process of their own, which has only what its own entry point wires.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import oversight
from builders import make_customer, make_user
from oversight.analytics.version import current_version
from oversight.audit.models import AuditEvent
from oversight.config import DatabaseSettings, Settings
from oversight.customers.models import Customer
from oversight.db.encrypted import KeyringNotBound
from oversight.db.migrate import upgrade
from oversight.db.session import create_db_engine, session_factory
from oversight.vocabulary import Role
from oversight.wiring import install_session_hooks, open_database

SRC = Path(oversight.__file__).resolve().parent.parent


@dataclass(frozen=True)
class FreshDatabase:
    settings: Settings
    engine: Engine
    env: dict[str, str]

    def version(self) -> int:
        with Session(self.engine) as session:
            return current_version(session)

    def events(self, entity_type: str) -> list[tuple[str, str | None, str | None]]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.actor_name)
                .where(AuditEvent.entity_type == entity_type)
                .order_by(AuditEvent.id)
            ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def run(self, *argv: str, extra_env: dict[str, str] | None = None) -> str:
        """Run `argv` in a fresh interpreter: the entry point must wire everything itself."""
        done = subprocess.run(
            [sys.executable, *argv],
            env=self.env | (extra_env or {}),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture
def fresh(backend: str, settings: Settings, database_url_factory) -> Iterator[FreshDatabase]:  # type: ignore[no-untyped-def]
    """A migrated database of its own (the writes below really commit) and the environment
    that points a child process at it."""
    own = DatabaseSettings(url=database_url_factory(backend))
    settings = settings.model_copy(update={"database": own})
    assert settings.encryption.keys is not None
    engine = open_database(settings)
    upgrade(engine)
    env = {key: value for key, value in os.environ.items() if not key.startswith("OVERSIGHT_")}
    env |= {
        "PYTHONPATH": str(SRC),
        "OVERSIGHT_ENV": "test",
        "OVERSIGHT_DATABASE__URL": settings.database.url,
        "OVERSIGHT_ENCRYPTION__KEYS": settings.encryption.keys.get_secret_value(),
        "OVERSIGHT_AUTH__ARGON2_TIME_COST": str(settings.auth.argon2_time_cost),
        "OVERSIGHT_AUTH__ARGON2_MEMORY_KIB": str(settings.auth.argon2_memory_kib),
        "OVERSIGHT_AUTH__ARGON2_PARALLELISM": str(settings.auth.argon2_parallelism),
        "OVERSIGHT_OBSERVABILITY__LOG_FORMAT": "json",
    }
    yield FreshDatabase(settings, engine, env)
    engine.dispose()


CLI = ("-c", "from oversight.cli import main; main()")


def test_a_cli_write_bumps_the_kpi_version_and_is_audited(fresh: FreshDatabase) -> None:
    before = fresh.version()
    fresh.run(
        *CLI, "users", "create", "e.kuznetsov", "--role", "engineer", "--name", "E. Kuznetsov",
        "--password-env", "NEW_PASSWORD", extra_env={"NEW_PASSWORD": "a perfectly long password"},
    )  # fmt: skip
    assert fresh.version() > before
    assert fresh.events("user") == [("user.create", "cli", "users")]


_JOB = textwrap.dedent(
    """
    from oversight.config import get_settings
    from oversight.customers import service
    from oversight.customers.schemas import CustomerCreate
    from oversight.jobs.commands import run_now
    from oversight.jobs.registry import JobRegistry

    def add_customer(session):
        service.create_customer(session=session, data=CustomerCreate(name="Nightly LLC"))

    jobs = JobRegistry()
    job = jobs.add("nightly_customer", add_customer, cron="0 3 * * *")
    assert run_now(job, get_settings())
    """
)


def test_a_job_write_bumps_the_kpi_version_and_is_audited(fresh: FreshDatabase) -> None:
    before = fresh.version()
    fresh.run("-c", _JOB)
    assert fresh.version() > before
    assert fresh.events("customer") == [("customer.create", "job", "nightly_customer")]


def test_an_api_write_bumps_the_kpi_version_and_is_audited(client, session, auth) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.admin)
    before = current_version(session)
    response = client.post(
        "/api/v1/customers", json={"name": "Over The Wire LLC"}, headers=auth(admin)
    )
    assert response.status_code == 201, response.text
    assert current_version(session) > before
    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "customer")
        .where(AuditEvent.entity_id == str(response.json()["id"]))
    ).all()
    assert [tuple(row) for row in events] == [("customer.create", admin.id)]


def test_a_cli_engine_reads_encrypted_fields_with_its_own_keyring(fresh: FreshDatabase) -> None:
    with session_factory(fresh.engine).begin() as session:
        make_user(session, Role.engineer, username="s.orlova", full_name="Svetlana Orlova")
    # The child's keys come from its environment only; the process has no other key to fall
    # back on (an unbound engine refuses, see below).
    listed = fresh.run(*CLI, "users", "list", "--json")
    assert '"Svetlana Orlova"' in listed


def test_an_engine_opened_without_the_wiring_has_no_keyring_to_fall_back_on(
    fresh: FreshDatabase,
) -> None:
    with session_factory(fresh.engine).begin() as session:
        make_customer(session, name="Sealed LLC", phone="+7 900 000 00 00")
    bare = create_db_engine(fresh.settings.database)
    try:
        with Session(bare) as session:
            customer = session.scalars(select(Customer)).one()
            with pytest.raises(KeyringNotBound, match="open_database"):
                _ = customer.phone
    finally:
        bare.dispose()


def test_installing_the_hooks_again_changes_nothing(session: Session) -> None:
    install_session_hooks()
    install_session_hooks()
    before = current_version(session)
    customer = make_customer(session, name="Once Only LLC")
    session.flush()
    assert current_version(session) == before + 1
    audited = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity_type == "customer", AuditEvent.entity_id == str(customer.id))
    )
    assert audited == 1
