"""Migration 0005 encrypts the contact details already stored and leaves no plaintext."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.customers.models import Customer
from oversight.db import migrate
from oversight.db.encrypted import bind_keyring
from oversight.security.fieldcrypt import Keyring

KEYRING = Keyring.generate("mig")
NOW = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)


@pytest.fixture
def old_database(backend, database_url_factory):
    """A database at 0003 holding plaintext contact details."""
    engine = create_engine(database_url_factory(backend))
    bind_keyring(engine, KEYRING)
    migrate.upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, name, contact_person, phone, email, created_at,"
                " updated_at) VALUES (1, 'Old Co', 'Olga Sidorova', '+7 812 765-43-21',"
                " 'olga@oldco.example', :now, :now), (2, 'Bare Co', NULL, NULL, NULL, :now, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO users (id, username, full_name, email, phone, password_hash, role,"
                " customer_id, is_active, created_at, updated_at) VALUES (1, 'olga',"
                " 'Olga Sidorova', 'olga@oldco.example', '+7 812 765-43-21', 'x', 'client', 1,"
                " true, :now, :now)"
            ),
            {"now": NOW},
        )
    yield engine
    engine.dispose()


def test_existing_rows_are_encrypted_and_the_plaintext_columns_are_gone(old_database):
    migrate.upgrade(old_database)
    for table in ("customers", "users"):
        columns = {c["name"] for c in inspect(old_database).get_columns(table)}
        assert not {"contact_person", "phone", "email", "full_name"} & columns
        with old_database.connect() as connection:
            stored = repr(connection.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608
        for plaintext in ("Olga", "Sidorova", "765-43-21", "olga@oldco"):
            assert plaintext not in stored
    with Session(old_database) as session:
        customer, bare = session.scalars(select(Customer).order_by(Customer.id))
        assert (customer.contact_person, customer.phone, customer.email) == (
            "Olga Sidorova",
            "+7 812 765-43-21",
            "olga@oldco.example",
        )
        assert (bare.phone, bare.row_uid != customer.row_uid) == (None, True)
        assert customer.pii_key_id == "mig"
        user = session.scalars(select(User)).one()
        assert (user.full_name, user.email) == ("Olga Sidorova", "olga@oldco.example")
        found = session.scalars(
            select(Customer).where(Customer.phone.candidates(session, "78127654321"))
        ).all()
        assert found == [customer]


def test_downgrade_decrypts_back(old_database):
    migrate.upgrade(old_database)
    migrate.downgrade(old_database, "0003")
    with old_database.connect() as connection:
        row = connection.execute(
            text("SELECT contact_person, phone, email FROM customers WHERE id = 1")
        ).one()
        name = connection.execute(text("SELECT full_name FROM users")).scalar()
    assert tuple(row) == ("Olga Sidorova", "+7 812 765-43-21", "olga@oldco.example")
    assert name == "Olga Sidorova"
