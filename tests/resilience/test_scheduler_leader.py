"""Two `Scheduler`s in two processes on one PostgreSQL: the leader is SIGKILLed, the other
takes over within the leader check period (the server frees the advisory lock as the dead
process's connection closes), and no job runs twice in one slot."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

import processes
import stack

pytestmark = pytest.mark.resilience

PERIOD = 3  # seconds between slots
CHECK = 1  # leader check period (seconds)

# The production Scheduler and LeaderLock with one job of its own: each run records its slot
# (slots are PERIOD-second buckets; both processes' triggers start on the same boundary).
DRIVER = f"""
import sys, threading, time, os
from datetime import UTC, datetime, timedelta
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from oversight.config import get_settings
from oversight.jobs.registry import JobRegistry
from oversight.jobs.scheduler import Scheduler
from oversight.wiring import install, open_database

install()
settings = get_settings()
engine = open_database(settings)

def record(session):
    slot = int(time.time() // {PERIOD})
    session.execute(text("INSERT INTO slots (slot, pid) VALUES (:s, :p)"),
                    {{"s": slot, "p": os.getpid()}})

jobs = JobRegistry()
jobs.add("record_slot", record, every=timedelta(seconds={PERIOD}))
scheduler = Scheduler(jobs, engine, settings)
boundary = datetime.fromtimestamp((int(time.time()) // {PERIOD} + 1) * {PERIOD}, UTC)
# APScheduler itself: the trigger starts on a slot edge, the same one in both processes.
scheduler._scheduler.reschedule_job(
    "record_slot", trigger=IntervalTrigger(seconds={PERIOD}, start_date=boundary))
scheduler.start()
print("leader" if scheduler.leader.is_leader else "follower", flush=True)
threading.Event().wait()
"""  # noqa: S608 - a script's text: the only value formatted in is PERIOD


def start_scheduler(env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
    return processes.start([sys.executable, "-c", DRIVER], cwd / f"{name}.log", env=env, cwd=cwd)


def slots(conninfo: str) -> list[tuple[int, int]]:
    with psycopg.connect(conninfo) as connection:
        return list(connection.execute("SELECT slot, pid FROM slots ORDER BY slot").fetchall())


def wait_for(condition, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def test_the_leader_killed_another_takes_over_and_no_slot_runs_twice(postgres, tmp_path):
    postgres.create_database("leader_election")
    conninfo = postgres.conninfo("leader_election")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("CREATE TABLE slots (slot bigint, pid integer)")
    env = stack.oversight_env(postgres.url("leader_election"),
                              JOBS__LEADER_CHECK_SECONDS=str(CHECK))  # fmt: skip
    first = start_scheduler(env, tmp_path, "first")
    second = None
    try:
        wait_for(lambda: slots(conninfo), 90)  # the first one leads and runs
        second = start_scheduler(env, tmp_path, "second")
        wait_for(lambda: "follower" in (tmp_path / "second.log").read_text(), 90)
        before = slots(conninfo)
        wait_for(lambda: len(slots(conninfo)) >= len(before) + 1, 30)
        assert {pid for _, pid in slots(conninfo)} == {first.pid}  # the follower only waits
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.time()
        taken = wait_for(
            lambda: [s for s, pid in slots(conninfo) if pid == second.pid], CHECK + PERIOD + 30
        )
        # The first slot the new leader runs starts within one check and one period.
        assert taken[0] * PERIOD <= killed_at + CHECK + PERIOD + 1
        wait_for(lambda: len([1 for _, pid in slots(conninfo) if pid == second.pid]) >= 2, 30)
    finally:
        for process in (first, second):
            if process is not None:
                processes.stop(process)
    recorded = [slot for slot, _ in slots(conninfo)]
    assert len(recorded) == len(set(recorded)), recorded
