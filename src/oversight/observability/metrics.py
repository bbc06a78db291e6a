"""Prometheus metrics: the process-wide metric objects and how `/metrics` is rendered.

Single process: the metrics live in `REGISTRY`. Several worker processes (`oversight serve
--workers N`): prometheus_client's multiprocess mode — each worker writes its samples to
memory-mapped files under `PROMETHEUS_MULTIPROC_DIR`, any worker answers a scrape with the
sum. Files of dead workers are folded into one archive file per metric type
(`compact_dead_workers`), so the number of files — and the scrape time — stays bounded by
the live workers however often they restart.
"""

from __future__ import annotations

import bisect
import fcntl
import os
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector

from oversight import __version__

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Resolve the 3 s latency objective (and 1 s, for a tighter look) exactly at a bucket edge.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
UNMATCHED_ROUTE = "unmatched"

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template.",
    ("method", "route"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being handled right now.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
HTTP_RATE_LIMITED = Counter(
    "http_rate_limited",
    "Requests refused with 429 by a rate limit, by rule and what was counted (ip, user, account).",
    ("rule", "per"),
    registry=REGISTRY,
)
RATE_LIMIT_UNAVAILABLE = Counter(
    "rate_limit_storage_unavailable",
    "Requests whose rate limit could not be checked (storage down or slow), by rule and "
    "outcome (refused: the rule fails closed; allowed: it fails open).",
    ("rule", "outcome"),
    registry=REGISTRY,
)
HTTP_NETWORK_DENIED = Counter(
    "http_network_denied",
    "Requests refused with 403 by an IP allowlist, by zone (admin, metrics).",
    ("zone",),
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "job_runs",
    "Scheduled job runs, by job and outcome (success, failure).",
    ("job", "status"),
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "job_duration_seconds",
    "Time a job run took.",
    ("job",),
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
JOB_LATENCY = Histogram(
    "job_latency_seconds",
    "Delay between a run's scheduled time and its start.",
    ("job",),
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
JOB_BACKLOG = Gauge(
    "job_backlog",
    "Job runs that are due but have not started yet.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
JOB_LAST_SUCCESS = Gauge(
    "job_last_success_timestamp_seconds",
    "Unix time of each job's last successful run.",
    ("job",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
SCHEDULER_LEADER = Gauge(
    "scheduler_leader",
    "1 when this scheduler process holds the cluster-wide leader lock.",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)


def incrementer(metric: Counter | Gauge) -> Callable[[float], None]:
    """`inc` of a label child (or unlabelled metric) without prometheus_client's per-call
    checks: the child's value object itself, single- or multiprocess alike.

    For the HTTP middleware's hot path; any other code uses the public API. If a future
    prometheus_client renames the internals, the public method is returned instead.
    """
    value = getattr(metric, "_value", None)
    increment = getattr(value, "inc", None)
    return increment if callable(increment) else metric.inc


def observer(histogram: Histogram) -> Callable[[float], None]:
    """`observe` of a histogram label child, as `incrementer` does for counters: the bucket
    is found by bisection over the upper bounds (the last is +Inf), as observe() finds it."""
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(getattr(histogram, "_sum", None), "inc", None)
    if not (isinstance(bounds, list) and isinstance(buckets, list) and callable(total)):
        return histogram.observe
    bucket_incs = [bucket.inc for bucket in buckets]
    search = bisect.bisect_left

    def observe(amount: float) -> None:
        total(amount)
        bucket_incs[search(bounds, amount)](1)

    return observe


def multiprocess_dir() -> Path | None:
    """The multiprocess directory when this process runs in multiprocess mode."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


def _git_revision() -> str:
    revision = os.environ.get("OVERSIGHT_GIT_REVISION")
    if revision:
        return revision
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 - optional, best effort
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


class BuildInfoCollector:
    """`oversight_build_info{version,revision} 1`."""

    def __init__(self) -> None:
        self._revision = _git_revision()

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "oversight_build_info", "Version and git revision of the running code.",
            labels=("version", "revision"),
        )  # fmt: skip
        family.add_metric((__version__, self._revision), 1)
        yield family


_BUILD_INFO: BuildInfoCollector | None = None
_PROCESS = ProcessCollector(registry=None)


def build_info() -> BuildInfoCollector:
    global _BUILD_INFO
    if _BUILD_INFO is None:
        _BUILD_INFO = BuildInfoCollector()
    return _BUILD_INFO


@contextmanager
def _locked(directory: Path, exclusive: bool) -> Iterator[None]:
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_worker_files(directory: Path) -> list[tuple[Path, str]]:
    dead = []
    for path in directory.glob("*.db"):
        parts = path.stem.split("_")
        if not parts[-1].isdigit():
            continue  # an archive
        if not _pid_alive(int(parts[-1])):
            dead.append((path, parts[0]))
    return dead


def compact_dead_workers(directory: Path | None = None) -> int:
    """Fold the sample files of exited workers into per-type archive files.

    Counters, histograms and summaries are added to `<type>_archive.db` (so totals survive the
    worker); gauges of dead workers are dropped (a dead worker has no current value). Returns
    the number of files removed. Safe to call from several workers at once.
    """
    directory = directory or multiprocess_dir()
    if directory is None or not directory.is_dir():
        return 0
    if not _dead_worker_files(directory):
        return 0
    removed = 0
    with _locked(directory, exclusive=True):
        for path, kind in _dead_worker_files(directory):
            if kind in {"counter", "histogram", "summary"}:
                archive = MmapedDict(str(directory / f"{kind}_archive.db"))
                try:
                    for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(str(path)):
                        current, _ = archive.read_value(key)
                        archive.write_value(key, current + value, timestamp)
                finally:
                    archive.close()
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class _Exposition:
    """The samples of one scrape: the process metrics plus the app's own collectors."""

    def __init__(self, extra: Iterable[Collector]) -> None:
        self._extra = list(extra)

    def collect(self) -> Iterator[Metric]:
        directory = multiprocess_dir()
        if directory is None:
            yield from REGISTRY.collect()
            yield from _PROCESS.collect()
        else:
            compact_dead_workers(directory)
            with _locked(directory, exclusive=False):
                yield from list(MultiProcessCollector(None, path=str(directory)).collect())
        yield from build_info().collect()
        for collector in self._extra:
            yield from collector.collect()


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The Prometheus text exposition of everything this process (or worker group) knows."""
    return generate_latest(_Exposition(extra))


def reset_multiprocess_dir(directory: Path) -> None:
    """Start a worker group with an empty multiprocess directory (counters restart at 0)."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        path.unlink()


def sample_value(name: str, labels: dict[str, str] | None = None) -> float:
    """The current value of one sample of `REGISTRY` (0 if absent): for tests and jobs."""
    value = REGISTRY.get_sample_value(name, labels or {})
    return float(value) if value is not None else 0.0


def exposition_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """A registry serving what `render` serves, for `prometheus_client.start_http_server`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Exposition(extra))
    return registry
