"""Scale properties of the trail: exports stream in flat memory, and the filtered queries of
the audit API use their indexes on PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from oversight.audit import chain, repository
from oversight.audit.models import AuditEvent
from oversight.audit.repository import AuditFilters
from oversight.db.migrate import upgrade

TOTAL = 100_000
SMALL = 10_000
# One hour early in the trail (which spans 2026-01-01 + 100,000 seconds), inside the span of
# the rare "small" action: ordered by id alone, PostgreSQL would walk every newer event.
RANGE_FROM = datetime(2026, 1, 1, 1, tzinfo=UTC)
RANGE_TO = datetime(2026, 1, 1, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def big_trail(backend, database_url_factory):
    engine = create_engine(database_url_factory(backend))
    upgrade(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Exports do not check the chain, so the rows carry placeholder hashes (cheaper to make).
    with engine.begin() as connection:
        for offset in range(0, TOTAL, 10_000):
            connection.execute(insert(AuditEvent), [
                {
                    "id": n + 1, "occurred_at": start + timedelta(seconds=n),
                    "actor_type": "user", "actor_id": n % 500, "actor_name": f"user{n % 500}",
                    "actor_role": "engineer", "client_ip": f"10.0.{n % 200}.{n % 250}",
                    "user_agent": "pytest", "request_id": f"req-{n}",
                    "action": "small" if n < SMALL else "bulk",
                    "entity_type": "service_request", "entity_id": str(n % 50_000),
                    "changes": '{"status":["new","assigned"]}', "reason": None,
                    "prev_hash": f"{n:064x}", "hash": f"{n + 1:064x}",
                }
                for n in range(offset, offset + 10_000)
            ])  # fmt: skip
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE audit_events"))
    yield engine
    engine.dispose()


_MEASURE = """
import resource, sys
from sqlalchemy import create_engine
from oversight.audit.export import ExportFormat, export_lines
from oversight.audit.repository import AuditFilters
engine = create_engine(sys.argv[1])
filters = AuditFilters(action=sys.argv[2] or None)
with engine.connect() as connection:
    connection.exec_driver_sql("SELECT 1")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines = sum(chunk.count("\\n") for chunk in export_lines(connection, filters, ExportFormat.csv))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(lines, after - before)
"""


def _export_growth(engine, action: str) -> tuple[int, int]:
    """Lines exported, and how far (KiB) the exporting process's peak RSS rose meanwhile."""
    url = engine.url.render_as_string(hide_password=False)
    output = subprocess.run(
        [sys.executable, "-c", _MEASURE, url, action], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(output[0]), int(output[1])


def test_export_memory_does_not_grow_with_the_number_of_events(big_trail):
    small_lines, small_growth = _export_growth(big_trail, "small")
    all_lines, all_growth = _export_growth(big_trail, "")
    assert (small_lines, all_lines) == (SMALL + 1, TOTAL + 1)  # with the CSV header
    # Ten times the rows, the same working set: one batch, not the export, bounds memory.
    assert all_growth < small_growth + 8 * 1024, (small_growth, all_growth)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (AuditFilters(entity_type="service_request", entity_id="4242"), "ix_audit_events_entity"),
        (AuditFilters(actor_id=42), "ix_audit_events_actor"),
        (AuditFilters(request_id="req-4242"), "ix_audit_events_request_id"),
        (AuditFilters(client_ip="10.0.42.42"), "ix_audit_events_client_ip"),
        (
            AuditFilters(action="small", occurred_from=RANGE_FROM, occurred_to=RANGE_TO),
            "ix_audit_events_action",
        ),
        (
            AuditFilters(actor_id=42, occurred_from=RANGE_FROM, occurred_to=RANGE_TO),
            "ix_audit_events_actor",
        ),
        (AuditFilters(occurred_from=RANGE_FROM, occurred_to=RANGE_TO), "ix_audit_events_occurred"),
    ],
    ids=["entity", "actor", "request_id", "ip", "action+time", "actor+time", "time"],
)
def test_filtered_queries_use_their_index_on_postgresql(big_trail, filters, index):
    if big_trail.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL, the production engine")
    with Session(big_trail) as session:
        statement = repository.filtered(select(AuditEvent), filters)
        statement = statement.order_by(*repository.NEWEST_FIRST).limit(50)
        compiled = statement.compile(big_trail, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))
    assert index in plan, plan
    assert "Seq Scan" not in plan, plan
    if filters.occurred_from is not None:
        # The time range bounds the index range read, rather than filtering a longer walk.
        assert re.search(r"(Index|Recheck) Cond: .*occurred_at >=", plan), plan


def test_the_verify_walk_reads_by_primary_key_without_statistics(big_trail):
    """A freshly filled or restored table has no statistics yet; the walk must still read an
    id range through the primary key, not scan and sort the whole table once per batch (what
    `WHERE id > :last ORDER BY id LIMIT :n` was planned as)."""
    if big_trail.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL, the production engine")
    query = chain.WALK_SQL.format(mark="%s") % (0, 10_000)
    with big_trail.connect() as connection, connection.begin():
        # As if never analyzed or vacuumed; rolled back with the transaction.
        connection.exec_driver_sql(
            "DELETE FROM pg_statistic WHERE starelid = 'audit_events'::regclass"
        )
        connection.exec_driver_sql(
            "UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0"
            " WHERE oid = 'audit_events'::regclass"
        )
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {query}"))
        connection.rollback()
    assert "pk_audit_events" in plan, plan
    assert "Seq Scan" not in plan, plan
