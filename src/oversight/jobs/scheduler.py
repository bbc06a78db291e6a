"""`oversight scheduler`: APScheduler's BackgroundScheduler running the collected jobs.

Each run is recorded by `runner.run_job`. The executor notes every run's scheduled time as it
is submitted, so `job_latency_seconds` is scheduled → started and `job_backlog` counts runs
submitted but not yet started (waiting for a free worker thread). Runs that APScheduler had
to drop — missed beyond the grace time, or still running from last time — are counted as
`job_runs_total{status="missed"}` / `{status="skipped"}`.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oversight.config import Settings
from oversight.db.session import session_factory
from oversight.jobs.leader import LeaderLock
from oversight.jobs.registry import Job, JobRegistry
from oversight.jobs.runner import run_job
from oversight.observability import metrics
from oversight.observability.logging import get_logger

log = get_logger("oversight.jobs")
LEADER_JOB_ID = "_leader_check"


class _TrackingExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """Notes each run's scheduled time before it enters the thread pool's queue."""

    def __init__(self, max_workers: int, pending: _Pending) -> None:
        super().__init__(max_workers)
        self._pending = pending

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        self._pending.push(job.id, run_times[0])
        super()._do_submit_job(job, run_times)


class _Pending:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[datetime]] = defaultdict(deque)

    def push(self, job_id: str, scheduled_at: datetime) -> None:
        with self._lock:
            self._times[job_id].append(scheduled_at)
        metrics.JOB_BACKLOG.inc()

    def pop(self, job_id: str) -> datetime | None:
        with self._lock:
            queue = self._times.get(job_id)
            if not queue:
                return None
            scheduled_at = queue.popleft()
        metrics.JOB_BACKLOG.dec()
        return scheduled_at


def trigger_for(job: Job, settings: Settings) -> CronTrigger | IntervalTrigger:
    timezone = settings.company.calendar.timezone
    if job.cron is not None:
        return CronTrigger.from_crontab(job.cron, timezone=timezone)
    assert job.every is not None
    return IntervalTrigger(seconds=job.every.total_seconds(), timezone=timezone)


class Scheduler:
    """The collected jobs on a background scheduler; `start()` / `shutdown()`."""

    def __init__(self, jobs: JobRegistry, engine: Engine, settings: Settings) -> None:
        self.jobs = jobs
        self.settings = settings
        self.leader = LeaderLock(engine, settings.jobs.leader_lock_id)
        self._factory: sessionmaker[Session] = session_factory(engine)
        self._pending = _Pending()
        self._scheduler = BackgroundScheduler(
            timezone=settings.company.calendar.timezone,
            executors={"default": _TrackingExecutor(settings.jobs.workers, self._pending)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self._scheduler.add_listener(self._dropped, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._scheduler.add_job(
            self._check_leader,
            IntervalTrigger(seconds=settings.jobs.leader_check_seconds),
            id=LEADER_JOB_ID,
        )
        for job in jobs:
            first = {"next_run_time": datetime.now(UTC)} if job.run_at_start else {}
            self._scheduler.add_job(
                self._run,
                trigger_for(job, settings),
                args=(job,),
                id=job.name,
                name=job.name,
                **first,
            )

    def _check_leader(self) -> None:
        self._pending.pop(LEADER_JOB_ID)
        self.leader.refresh()

    def _run(self, job: Job) -> None:
        scheduled_at = self._pending.pop(job.name)
        if not self.leader.is_leader:
            return
        run_job(job, self._factory, scheduled_at)

    def _dropped(self, event: JobEvent) -> None:
        if event.job_id == LEADER_JOB_ID:
            return
        status = "missed" if event.code == EVENT_JOB_MISSED else "skipped"
        metrics.JOB_RUNS.labels(event.job_id, status).inc()
        log.warning("job_dropped", job=event.job_id, status=status)

    def next_run_times(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def start(self) -> None:
        self.leader.refresh()
        self._scheduler.start()
        names = [job.name for job in self.jobs]
        log.info("scheduler_started", jobs=names, leader=self.leader.is_leader)

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=True)
        self.leader.release()
        log.info("scheduler_stopped")
