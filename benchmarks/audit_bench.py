"""Audit trail figures on a real PostgreSQL started here (not part of `make test`).

1. Throughput of a request update with audit capture on vs off, rounds interleaved.
   Goal: capture keeps at least 0.75 of the unaudited throughput.
2. `audit verify` rate over a real hash chain. Goal: at least 100,000 events/s.
3. A filtered audit query (entity, actor, IP) on 10,000,000 events.

Usage: .venv/bin/python benchmarks/audit_bench.py [--events 10000000] [--chain 200000]
       [--only capture|verify|queries ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from common import Row, Scale, absolute_row, print_rows, ratio_row

import servers
from oversight.audit import capture, chain
from oversight.audit.repository import AuditFilters, list_events
from oversight.audit.verification import verify_chain
from oversight.config import Settings
from oversight.db.migrate import upgrade
from oversight.demo.generator import DemoSpec, generate
from oversight.service_requests.models import ServiceRequest
from oversight.wiring import open_database

HOOKS = (
    ("before_flush", capture._before_flush),
    ("after_flush", capture._after_flush),
)


def set_capture(on: bool) -> None:
    for name, hook in HOOKS:
        present = event.contains(Session, name, hook)
        if on and not present:
            event.listen(Session, name, hook)
        elif not on and present:
            event.remove(Session, name, hook)


def updates_per_second(engine, ids: list[int], count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        with Session(engine) as session, session.begin():
            request = session.get(ServiceRequest, ids[n % len(ids)])
            assert request is not None
            request.title = f"Benchmark title {n}"
    return count / (time.perf_counter() - started)


def bench_capture(engine, rounds: int, count: int) -> tuple[float, float]:
    with engine.connect() as connection:
        ids = list(connection.execute(select(ServiceRequest.id).limit(500)).scalars())
    on, off = [], []
    for _ in range(rounds):
        set_capture(False)
        off.append(updates_per_second(engine, ids, count))
        set_capture(True)
        on.append(updates_per_second(engine, ids, count))
    return statistics.median(on), statistics.median(off)


def bench_verify(engine, size: int) -> tuple[int, float]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for offset in range(0, size, 20_000):
            chain.append(connection, (
                {"occurred_at": start + timedelta(seconds=n), "actor_type": "user",
                 "actor_id": n % 50, "actor_name": f"user{n % 50}", "actor_role": "engineer",
                 "client_ip": "10.1.2.3", "user_agent": "bench", "request_id": f"req-{n}",
                 "action": "service_request.update", "entity_type": "service_request",
                 "entity_id": str(n % 10_000), "changes": '{"title":["a","b"]}', "reason": None}
                for n in range(offset, min(size, offset + 20_000))
            ))  # fmt: skip
    with engine.connect() as connection:
        started = time.perf_counter()
        result = verify_chain(connection)
        elapsed = time.perf_counter() - started
    assert result.ok, result.broken
    return result.events_checked, result.events_checked / elapsed


def fill_ten_million(engine, total: int) -> float:
    """Server-side generation: realistic spread of actors, entities, IPs and actions."""
    started = time.perf_counter()
    with engine.begin() as connection:
        first = connection.execute(text("SELECT coalesce(max(id), 0) FROM audit_events")).scalar()
        connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        connection.execute(
            text("""
            INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, actor_name,
                actor_role, client_ip, user_agent, request_id, action, entity_type, entity_id,
                changes, reason, prev_hash, hash)
            SELECT :first + g, timestamptz '2019-01-01' + g * interval '20 seconds', 'user',
                g % 2000, 'user' || (g % 2000), 'engineer',
                '10.' || (g % 250) || '.' || (g % 199) || '.' || (g % 7),
                'bench', 'req-' || g,
                (ARRAY['service_request.update','invoice.paid','auth.login_succeeded',
                       'customer.update'])[1 + g % 4],
                'service_request', (g % 1000000)::text, '{}', NULL,
                md5(g::text) || md5((g + 1)::text), md5((g + 2)::text) || md5(g::text)
            FROM generate_series(1, :total) AS g
        """),
            {"first": first, "total": total},
        )
        connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        connection.execute(text("ANALYZE audit_events"))
    return time.perf_counter() - started


def bench_queries(engine) -> list[tuple[str, float]]:
    cases = [
        (
            "entity history (entity_type+id)",
            AuditFilters(entity_type="service_request", entity_id="424242"),
        ),
        ("actor, newest 50", AuditFilters(actor_id=1234)),
        ("client IP, newest 50", AuditFilters(client_ip="10.42.42.0")),
        (
            "action + time range",
            AuditFilters(
                action="invoice.paid",
                occurred_from=datetime(2022, 1, 1, tzinfo=UTC),
                occurred_to=datetime(2022, 2, 1, tzinfo=UTC),
            ),
        ),
    ]
    figures = []
    with Session(engine) as session:
        for name, filters in cases:
            list_events(session, filters, before_id=None, limit=50)  # warm
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                list_events(session, filters, before_id=None, limit=50)
                timings.append(time.perf_counter() - started)
            figures.append((name, statistics.median(timings) * 1000))
    return figures


def rows(scale: Scale, *, parts: set[str] | None = None, events: int = 10_000_000,
         chain: int | None = None, rounds: int | None = None,
         updates: int | None = None) -> list[Row]:  # fmt: skip
    """Capture on/off and verify rate; the 10M-event queries only when asked (~20 minutes)."""
    parts = parts or {"capture", "verify"}
    chain = chain or scale.pick(200_000, 20_000)
    rounds = rounds or scale.pick(5, 2)
    updates = updates or scale.pick(300, 100)
    out: list[Row] = []
    with servers.postgres_server() as pg:
        pg.create_database("bench")
        settings = Settings(_env_file=None, env="test", database={"url": pg.url("bench")})  # type: ignore[call-arg]
        engine = open_database(settings)
        upgrade(engine)
        if "capture" in parts:
            generate(engine, settings, DemoSpec(requests=scale.pick(2000, 300)))
            on, off = bench_capture(engine, rounds, updates)
            out.append(ratio_row("audit: request update, capture on vs off (PostgreSQL)", on,
                                 off, "updates/s", at_least=0.75,
                                 note=f"median of {rounds} rounds x {updates}"))  # fmt: skip
        if "verify" in parts:
            checked, rate = bench_verify(engine, chain)
            out.append(absolute_row(f"audit verify ({checked:,} chained events)", rate, "ev/s",
                                    at_least=100_000))  # fmt: skip
        if "queries" in parts:
            fill = fill_ten_million(engine, events)
            out.append(absolute_row(f"audit: load {events:,} events (server-side)", fill, "s"))
            out += [absolute_row(f"audit query on {events:,}: {name}", ms, "ms")
                    for name, ms in bench_queries(engine)]  # fmt: skip
        engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--chain", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument(
        "--only", choices=["capture", "verify", "queries"], action="append",
        help="run only these parts (repeatable); the 10M load of `queries` takes ~20 minutes",
    )  # fmt: skip
    args = parser.parse_args()
    parts = set(args.only or ["capture", "verify", "queries"])
    print_rows(rows(Scale(), parts=parts, events=args.events, chain=args.chain,
                    rounds=args.rounds, updates=args.updates))  # fmt: skip


if __name__ == "__main__":
    main()
