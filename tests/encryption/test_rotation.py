"""`oversight keys rotate`: every row moves to the new key in committed batches, resumably,
with reads and blind-index lookups working throughout, and the rotation in the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oversight.audit.models import AuditEvent
from oversight.auth import two_factor
from oversight.auth.models import User, UserTotp
from oversight.cli import app as cli_app
from oversight.config import DatabaseSettings, get_settings
from oversight.customers import repository as customers
from oversight.customers.models import Customer
from oversight.db.encrypted import bind_keyring
from oversight.db.migrate import upgrade
from oversight.db.session import create_db_engine, session_factory
from oversight.encryption import rotation
from oversight.kit.clock import utcnow
from oversight.kit.pagination import PageParams
from oversight.security import totp
from oversight.security.fieldcrypt import Keyring, generate_key
from oversight.vocabulary import Role

OLD, NEW = generate_key(), generate_key()
ONLY_OLD = Keyring.parse(f"old:{OLD}")
BOTH = Keyring.parse(f"old:{OLD},new:{NEW}", active="new")
ONLY_NEW = Keyring.parse(f"new:{NEW}")


class Interrupted(Exception):
    pass


@dataclass
class Database:
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def use(self, keyring: Keyring) -> None:
        bind_keyring(self.engine, keyring)

    def per_key(self) -> dict[str, dict[str | None, int]]:
        with self.engine.connect() as connection:
            return rotation.rows_per_key(connection)


def phone_of(n: int) -> str:
    return f"+7 (495) 100-{n:02d}-{n:02d}"


@pytest.fixture
def database(backend, database_url_factory) -> Iterator[Database]:
    """A database of its own (rotation commits): 7 customers and 3 users on the old key."""
    url = database_url_factory(backend)
    engine = create_db_engine(DatabaseSettings(url=url))
    bind_keyring(engine, ONLY_OLD)
    upgrade(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        for n in range(7):
            session.add(
                Customer(
                    name=f"Customer {n}",
                    contact_person=f"Contact {n}",
                    phone=phone_of(n),
                    email=f"c{n}@customer.example",
                )
            )
        for n in range(3):
            session.add(
                User(
                    username=f"user{n}",
                    full_name=f"User {n}",
                    email=f"u{n}@staff.example",
                    password_hash="x",
                    role=Role.viewer,
                )
            )
    yield Database(url, engine, factory)
    engine.dispose()


def find_by_phone(database: Database, phone: str) -> list[str]:
    with database.factory() as session:
        rows, _ = customers.list_customers(session, PageParams(), phone=phone)
        return [row.name for row in rows]


def everything_reads(database: Database) -> None:
    with database.factory() as session:
        for n, customer in enumerate(session.scalars(select(Customer).order_by(Customer.id))):
            assert (customer.phone, customer.contact_person) == (phone_of(n), f"Contact {n}")
        for n, user in enumerate(session.scalars(select(User).order_by(User.id))):
            assert (user.full_name, user.email) == (f"User {n}", f"u{n}@staff.example")


def test_rotation_leaves_no_row_on_the_old_key(database):
    database.use(BOTH)
    done = rotation.rotate(database.factory, BOTH, batch_size=3)
    assert done == {"customers": 7, "user_totp": 0, "users": 3}
    assert database.per_key() == {"customers": {"new": 7}, "user_totp": {}, "users": {"new": 3}}
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT phone_ct, email_ct FROM customers")).all()
    assert all(Keyring.key_id_of(value) == "new" for row in rows for value in row)
    database.use(ONLY_NEW)  # the old key can go now
    everything_reads(database)
    assert find_by_phone(database, "74951000303") == ["Customer 3"]


def test_an_interrupted_rotation_resumes_and_works_meanwhile(database):
    database.use(BOTH)

    def stop_after_the_first_batch(table: str, done: int, left: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rotation.rotate(database.factory, BOTH, batch_size=3, on_batch=stop_after_the_first_batch)
    assert database.per_key()["customers"] == {"new": 3, "old": 4}

    # Mid-rotation: rows on either key decrypt, and lookups find both kinds.
    everything_reads(database)
    assert find_by_phone(database, phone_of(1)) == ["Customer 1"]  # on the new key
    assert find_by_phone(database, "+7 495 100 05 05") == ["Customer 5"]  # still on the old
    with database.factory.begin() as session:  # an edit meanwhile lands on the new key
        edited = session.scalar(select(Customer).where(Customer.name == "Customer 6"))
        edited.email = "edited@customer.example"

    rotation.rotate(database.factory, BOTH, batch_size=3)
    assert database.per_key() == {"customers": {"new": 7}, "user_totp": {}, "users": {"new": 3}}
    database.use(ONLY_NEW)
    assert find_by_phone(database, phone_of(5)) == ["Customer 5"]
    with database.factory() as session:
        found, _ = customers.list_customers(session, PageParams(), email="EDITED@customer.example")
        assert [row.name for row in found] == ["Customer 6"]


def test_rotation_is_an_audit_event_and_adds_no_row_changes(database):
    database.use(BOTH)
    rotation.rotate(database.factory, BOTH, batch_size=100)
    with database.factory() as session:
        trail = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    rotation_events = [e for e in trail if e.action.startswith("keys.")]
    assert [e.action for e in rotation_events] == [
        "keys.rotation_started",
        "keys.rotation_completed",
    ]
    started = json.loads(rotation_events[0].changes)
    assert started["rows_left"] == {"customers": 7, "user_totp": 0, "users": 3}
    resealed = json.loads(rotation_events[1].changes)["rows_resealed"]
    assert resealed == {"customers": 7, "user_totp": 0, "users": 3}
    after_start = [e for e in trail if e.id > rotation_events[0].id]
    assert all(e.action.startswith("keys.") for e in after_start)


def test_a_row_no_key_opens_stops_the_rotation_naming_it(database):
    database.use(BOTH)
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE customers SET email_ct = phone_ct WHERE name = 'Customer 2'")
        )
    with pytest.raises(rotation.UndecryptableField, match=r"customers\.email"):
        rotation.rotate(database.factory, BOTH, batch_size=100)


def test_keys_commands_show_status_and_rotate(database, monkeypatch, tmp_path):
    runner = CliRunner()
    for name in list(__import__("os").environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", database.url)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"old:{OLD},new:{NEW}")
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID", "new")
    get_settings.cache_clear()
    try:
        before = runner.invoke(cli_app, ["keys", "status"])
        assert before.exit_code == 1
        assert "to rotate" in before.output
        rotated = runner.invoke(cli_app, ["keys", "rotate", "--batch-size", "4"])
        assert rotated.exit_code == 0, rotated.output
        assert "10 rows now on key new" in rotated.output
        after = runner.invoke(cli_app, ["keys", "status"])
        assert after.exit_code == 0, after.output
        assert "to rotate" not in after.output
        generated = runner.invoke(cli_app, ["keys", "generate", "--key-id", "k2026"])
        kid, key = generated.output.strip().split(":")
        assert kid == "k2026"
        assert Keyring.parse(f"{kid}:{key}").active_key_id == "k2026"
    finally:
        get_settings.cache_clear()


def use_keys_cli(
    monkeypatch: pytest.MonkeyPatch, database: Database, keys: str, active: str
) -> None:
    """Point the `oversight` command at `database` with the `keys` setting given."""
    for name in list(__import__("os").environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", database.url)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", keys)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID", active)
    get_settings.cache_clear()


def status_lines(runner: CliRunner, table: str) -> tuple[int, list[str]]:
    result = runner.invoke(cli_app, ["keys", "status"])
    return result.exit_code, [line for line in result.output.splitlines() if table in line]


def test_a_totp_enrolment_made_before_rotation_still_verifies_with_the_old_key_gone(
    database, settings, monkeypatch, tmp_path
):
    with database.factory.begin() as session:  # enrolled while the old key is the only one
        user = session.scalar(select(User).where(User.username == "user1"))
        secret = two_factor.start_enrolment(session=session, settings=settings, user=user).secret
        code = totp.code_at(secret, utcnow())
        two_factor.confirm_enrolment(session=session, settings=settings, user=user, code=code)
        user_id = user.id
    assert database.per_key()["user_totp"] == {"old": 1}

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    try:
        use_keys_cli(monkeypatch, database, f"old:{OLD},new:{NEW}", "new")
        exit_code, before = status_lines(runner, "user_totp")
        assert exit_code == 1
        assert any("old" in line and "to rotate" in line for line in before), before
        rotated = runner.invoke(cli_app, ["keys", "rotate", "--batch-size", "4"])
        assert rotated.exit_code == 0, rotated.output

        use_keys_cli(monkeypatch, database, f"new:{NEW}", "new")  # the old key retired
        exit_code, after = status_lines(runner, "user_totp")
        assert exit_code == 0
        assert after, "no user_totp row in the status"
        assert all("old" not in line for line in after), after
    finally:
        get_settings.cache_clear()
    assert database.per_key()["user_totp"] == {"new": 1}
    with database.engine.connect() as connection:
        [sealed] = connection.execute(text("SELECT secret_ct FROM user_totp")).scalars()
    assert Keyring.key_id_of(sealed) == "new"

    database.use(ONLY_NEW)
    later = totp.code_at(secret, utcnow() + timedelta(seconds=totp.STEP_SECONDS))
    with database.factory.begin() as session:
        user = session.get(User, user_id)
        two_factor.verify_code(session=session, settings=settings, user=user, code=later)
        assert session.get(UserTotp, user_id).last_used_step is not None
    with database.factory() as session:
        verified = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "auth.totp_verified")
        ).all()
    assert verified == ["auth.totp_verified"]
