"""The job registry, runner, leader lock and scheduler against real databases."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oversight.cli import app as cli_app
from oversight.config import get_settings
from oversight.db.session import session_factory
from oversight.jobs.leader import LeaderLock
from oversight.jobs.registry import Job, JobRegistry, collect_jobs, task_modules
from oversight.jobs.runner import run_job
from oversight.jobs.scheduler import Scheduler
from oversight.observability import metrics


def runs(job: str, status: str) -> float:
    return metrics.sample_value("job_runs_total", {"job": job, "status": status})


def test_registry_refuses_bad_definitions():
    jobs = JobRegistry()
    jobs.add("ok_job", lambda session: None, every=timedelta(seconds=5))
    with pytest.raises(ValueError, match="twice"):
        jobs.add("ok_job", lambda session: None, every=timedelta(seconds=5))
    with pytest.raises(ValueError, match="exactly one"):
        jobs.add("both", lambda session: None, every=timedelta(seconds=5), cron="* * * * *")
    with pytest.raises(ValueError, match="lower-case"):
        jobs.add("Bad Name", lambda session: None, cron="* * * * *")


def test_packages_tasks_are_collected(settings):
    assert "oversight.jobs.tasks" in task_modules()
    job = collect_jobs(settings).get("database_health")
    assert job is not None
    assert job.schedule == "every 60s"


def test_runner_commits_counts_and_measures_latency(engine, settings):
    factory = session_factory(engine)
    seen: list[int] = []

    def work(session: Session) -> None:
        seen.append(session.execute(text("SELECT 41 + 1")).scalar_one())

    job = Job("counting_job", work, every=timedelta(minutes=1))
    before = runs("counting_job", "success")
    scheduled = datetime.now(UTC) - timedelta(seconds=7)
    assert run_job(job, factory, scheduled)
    assert seen == [42]
    assert runs("counting_job", "success") == before + 1
    assert metrics.sample_value("job_latency_seconds_sum", {"job": "counting_job"}) >= 7
    assert metrics.sample_value("job_duration_seconds_count", {"job": "counting_job"}) >= 1


def test_failing_job_rolls_back_and_is_counted(engine):
    factory = session_factory(engine)

    def broken(session: Session) -> None:
        session.execute(text("CREATE TABLE job_scratch (id integer)"))
        raise RuntimeError("nope")

    before = runs("broken_rollback", "failure")
    assert not run_job(Job("broken_rollback", broken, cron="0 3 * * *"), factory)
    assert runs("broken_rollback", "failure") == before + 1


@pytest.mark.resilience
def test_only_one_postgres_scheduler_leads(postgres):
    from oversight.config import DatabaseSettings
    from oversight.db.session import create_db_engine

    engine = create_db_engine(DatabaseSettings(url=postgres.url()))
    first, second = LeaderLock(engine, 4242), LeaderLock(engine, 4242)
    try:
        assert first.refresh()
        assert not second.refresh()
        first.release()
        assert second.refresh()
        assert not first.refresh()
    finally:
        first.release()
        second.release()
        engine.dispose()


def test_sqlite_scheduler_always_leads(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert LeaderLock(engine, 1).refresh()


def test_scheduler_runs_interval_jobs_and_records_latency(engine, settings):
    done = threading.Event()

    def tick(session: Session) -> None:
        session.execute(text("SELECT 1"))
        done.set()

    jobs = JobRegistry()
    jobs.add("tick_job", tick, every=timedelta(seconds=1))
    before = runs("tick_job", "success")
    scheduler = Scheduler(jobs, engine, settings)
    scheduler.start()
    try:
        assert done.wait(15)
        deadline = time.monotonic() + 10
        while runs("tick_job", "success") == before and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert runs("tick_job", "success") >= before + 1
    assert metrics.sample_value("job_latency_seconds_count", {"job": "tick_job"}) >= 1
    assert metrics.sample_value("job_backlog") == 0


def test_an_interval_job_marked_run_at_start_runs_when_the_scheduler_starts(engine, settings):
    done = threading.Event()
    jobs = JobRegistry()
    jobs.add("hourly_monitor", lambda session: done.set(), every=timedelta(hours=1),
             run_at_start=True)  # fmt: skip
    scheduler = Scheduler(jobs, engine, settings)
    scheduler.start()
    try:
        assert done.wait(15)  # not an hour later
    finally:
        scheduler.shutdown()


def test_cli_lists_and_runs_jobs(monkeypatch, backend, database_url_factory, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", database_url_factory(backend))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        listed = runner.invoke(cli_app, ["jobs", "list"])
        assert listed.exit_code == 0, listed.output
        assert "database_health" in listed.output
        ran = runner.invoke(cli_app, ["jobs", "run", "database_health"])
        assert ran.exit_code == 0, ran.output
        missing = runner.invoke(cli_app, ["jobs", "run", "no_such_job"])
        assert missing.exit_code == 2
    finally:
        get_settings.cache_clear()
