"""A dump of a PostgreSQL database loaded with demo data holds no contact detail in clear."""

from __future__ import annotations

import subprocess
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.customers.models import Customer
from oversight.db.migrate import upgrade
from oversight.demo.generator import DemoSpec, generate
from oversight.security.fieldcrypt import generate_key
from oversight.users.models import User
from oversight.wiring import open_database

SPEC = DemoSpec(customers=12, projects=14, requests=300, months=4, end=date(2026, 11, 20), seed=5)


def test_pg_dump_of_demo_data_contains_no_phone_email_or_contact_name(postgres):
    postgres.create_database("dump_check")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        database={"url": postgres.url("dump_check")},
        encryption={"keys": f"dump:{generate_key()}"},
    )
    engine = open_database(settings)
    upgrade(engine)
    generate(engine, settings, SPEC)
    with Session(engine) as session:
        customers = session.scalars(select(Customer)).all()
        users = session.scalars(select(User)).all()
        secrets = {c.contact_person for c in customers} | {c.phone for c in customers}
        secrets |= {c.email for c in customers}
        secrets |= (
            {u.email for u in users} | {u.phone for u in users} | {u.full_name for u in users}
        )
    engine.dispose()
    secrets.discard(None)
    assert len(secrets) > 3 * SPEC.customers  # the data really has contact details

    dump = subprocess.run(
        [str(postgres.bin("pg_dump")), "--data-only", postgres.conninfo("dump_check")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "COPY public.customers" in dump
    leaked = sorted(value for value in secrets if value in dump)
    assert leaked == []
    digits = {"".join(ch for ch in value if ch.isdigit()) for value in secrets if "+" in value}
    assert not [number for number in digits if len(number) >= 10 and number in dump]
