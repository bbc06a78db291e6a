"""Job definitions and their collection from the packages' `tasks` modules.

A package that has periodic work adds `src/oversight/<package>/tasks.py`::

    from oversight.jobs.registry import JobRegistry

    def register(jobs: JobRegistry, settings: Settings) -> None:
        jobs.add("audit_chain_verify", verify_chain, cron="0 3 * * *")

    def verify_chain(session: Session) -> None: ...

The function gets a session inside its own unit of work (committed when it returns, rolled
back when it raises) and runs with `RequestContext(origin="job:<name>")` bound.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from oversight.config import Settings

JobFunc = Callable[[Session], None]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class Job:
    """A named function and when to run it: a cron line (company time zone) or an interval."""

    name: str
    func: JobFunc
    cron: str | None = None
    every: timedelta | None = None
    description: str = ""
    # An interval job that should also run as soon as the scheduler starts (a monitor whose
    # gauges would otherwise stay absent for a whole interval after every restart).
    run_at_start: bool = False

    @property
    def schedule(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron}"
        assert self.every is not None
        return f"every {self.every.total_seconds():g}s"


class JobRegistry:
    """The jobs of one scheduler, by name."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def add(
        self,
        name: str,
        func: JobFunc,
        *,
        cron: str | None = None,
        every: timedelta | None = None,
        description: str = "",
        run_at_start: bool = False,
    ) -> Job:
        """Register `func` under `name`; exactly one of `cron` and `every` is required."""
        if not _NAME.match(name):
            raise ValueError(f"job name {name!r}: lower-case letters, digits and _ only")
        if name in self._jobs:
            raise ValueError(f"job {name!r} is registered twice")
        if (cron is None) == (every is None):
            raise ValueError(f"job {name!r}: give exactly one of cron= and every=")
        if every is not None and every.total_seconds() <= 0:
            raise ValueError(f"job {name!r}: every= must be positive")
        job = Job(
            name, func, cron, every, description or (func.__doc__ or "").strip(), run_at_start
        )
        self._jobs[name] = job
        return job

    def get(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def __iter__(self) -> Iterator[Job]:
        return iter(sorted(self._jobs.values(), key=lambda job: job.name))

    def __len__(self) -> int:
        return len(self._jobs)


def task_modules() -> list[str]:
    """`oversight.<package>.tasks` for every package of Oversight that has one."""
    import oversight

    found = []
    for package in pkgutil.iter_modules(oversight.__path__):
        if not package.ispkg:
            continue
        name = f"oversight.{package.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            found.append(name)
    return sorted(found)


def collect_jobs(settings: Settings) -> JobRegistry:
    """Every package's jobs, from their `tasks.register(jobs, settings)`."""
    registry = JobRegistry()
    for module_name in task_modules():
        module = importlib.import_module(module_name)
        register = getattr(module, "register", None)
        if register is None:
            raise RuntimeError(f"{module_name} has no register(jobs, settings) function")
        register(registry, settings)
    return registry
