"""The `oversight scheduler` and `oversight jobs ...` commands."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from prometheus_client import start_http_server
from rich.console import Console
from rich.table import Table

from oversight.config import Settings, get_settings
from oversight.db.session import session_factory
from oversight.jobs.registry import Job, collect_jobs
from oversight.jobs.runner import run_job
from oversight.jobs.scheduler import Scheduler
from oversight.kit.context import RequestContext, bound_context
from oversight.observability import metrics
from oversight.observability.logging import configure_logging, get_logger
from oversight.wiring import open_database

jobs_app = typer.Typer(no_args_is_help=True, help="Scheduled jobs.")
console = Console()
log = get_logger("oversight.jobs")


def run_scheduler(metrics_port: int | None = None) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT."""
    settings = get_settings()
    configure_logging(
        settings.observability.model_copy(update={"service_name": "oversight-scheduler"})
    )
    engine = open_database(settings)
    scheduler = Scheduler(collect_jobs(settings), engine, settings)
    port = settings.observability.scheduler_metrics_port if metrics_port is None else metrics_port
    if port:
        start_http_server(
            port, settings.observability.scheduler_metrics_host,
            registry=metrics.exposition_registry(),
        )  # fmt: skip
        log.info("scheduler_metrics_listening", port=port)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with bound_context(RequestContext(origin="scheduler")):
        scheduler.start()
        try:
            stop.wait()
        finally:
            scheduler.shutdown()
            engine.dispose()


def run_now(job: Job, settings: Settings) -> bool:
    """Run `job` once in this process on a newly opened database; True on success."""
    engine = open_database(settings)
    try:
        return run_job(job, session_factory(engine))
    finally:
        engine.dispose()


@jobs_app.command("list")
def list_jobs() -> None:
    """List the registered jobs and their schedules."""
    settings = get_settings()
    table = Table()
    for column in ("job", "schedule", "description"):
        table.add_column(column)
    for job in collect_jobs(settings):
        table.add_row(job.name, job.schedule, job.description)
    console.print(table)


@jobs_app.command("run")
def run_once(
    name: Annotated[str, typer.Argument(help="job name, see `oversight jobs list`")],
) -> None:
    """Run one job now, in this process (regardless of the leader lock)."""
    settings = get_settings()
    configure_logging(settings.observability)
    job = collect_jobs(settings).get(name)
    if job is None:
        typer.echo(f"error: no job named {name!r} (see `oversight jobs list`)", err=True)
        raise typer.Exit(2)
    if not run_now(job, settings):
        raise typer.Exit(1)
    console.print(f"job {name} finished")
