"""The scheduler's own job: a database round trip, its canary.

Its runs feed `job_runs_total`, `job_duration_seconds` and `job_latency_seconds` even on an
installation with no other jobs, so a stalled scheduler or an unreachable database shows up
on the Jobs dashboard and in the job alerts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.jobs.registry import JobRegistry


def register(jobs: JobRegistry, settings: Settings) -> None:
    jobs.add(
        "database_health",
        check_database,
        every=timedelta(seconds=settings.jobs.database_health_seconds),
    )


def check_database(session: Session) -> None:
    """A round trip to the database in a unit of work (fails when it is unreachable)."""
    session.execute(text("SELECT 1"))
