"""Runs one job: own session and unit of work, context, metrics, log lines, Sentry."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from oversight.context import RequestContext, bound_context
from oversight.db.session import unit_of_work
from oversight.jobs.registry import Job
from oversight.kit.clock import utcnow
from oversight.observability import metrics, sentry
from oversight.observability.logging import get_logger

log = get_logger("oversight.jobs")


def run_job(job: Job, factory: sessionmaker[Session], scheduled_at: datetime | None = None) -> bool:
    """Run `job` once now; True on success. Failures are logged, counted and reported,
    never raised: one failing job must not stop the scheduler."""
    started_at = utcnow()
    latency = max((started_at - scheduled_at).total_seconds(), 0.0) if scheduled_at else 0.0
    metrics.JOB_LATENCY.labels(job.name).observe(latency)
    start = time.perf_counter()
    context = RequestContext(
        request_id=f"job-{job.name}-{time.time_ns():x}", origin=f"job:{job.name}"
    )
    with bound_context(context):
        log.info("job_started", job=job.name, latency_ms=round(latency * 1000, 1))
        try:
            with unit_of_work(factory) as session:
                job.func(session)
        except Exception as error:
            elapsed = time.perf_counter() - start
            metrics.JOB_RUNS.labels(job.name, "failure").inc()
            metrics.JOB_DURATION.labels(job.name).observe(elapsed)
            log.error(
                "job_failed", job=job.name, status="failure",
                duration_ms=round(elapsed * 1000, 1), exc_info=error,
            )  # fmt: skip
            sentry.capture_exception(error, job=job.name)
            return False
    elapsed = time.perf_counter() - start
    metrics.JOB_RUNS.labels(job.name, "success").inc()
    metrics.JOB_DURATION.labels(job.name).observe(elapsed)
    metrics.JOB_LAST_SUCCESS.labels(job.name).set(time.time())
    log.info("job_finished", job=job.name, status="success", duration_ms=round(elapsed * 1000, 1))
    return True
