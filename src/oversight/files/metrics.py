"""The files' metrics: preview time (the operations design's SLI), preview failures, the
mover's work, and the mover backlog read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from oversight.config import Settings
from oversight.files.models import Blob, PreviewState, Tier
from oversight.kit.clock import utcnow
from oversight.observability.metrics import REGISTRY

# The SLI is P90 < 60 s: bucket edges at 60 s (and 30 s for a tighter look).
PREVIEW_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

PREVIEW_SECONDS = Histogram(
    "oversight_preview_seconds",
    "Time to render one attachment preview, by outcome (ready, unavailable).",
    ("outcome",),
    buckets=PREVIEW_BUCKETS,
    registry=REGISTRY,
)
PREVIEW_FAILURES = Counter(
    "oversight_preview_failures",
    "Attachments whose preview could not be rendered, by type.",
    ("content_type",),
    registry=REGISTRY,
)
MOVER_MOVED = Counter(
    "oversight_mover_moved_files",
    "Files copied to the cold tier, verified and freed locally.",
    registry=REGISTRY,
)
MOVER_MOVED_BYTES = Counter(
    "oversight_mover_moved_bytes",
    "Bytes moved to the cold tier.",
    registry=REGISTRY,
)
MOVER_FAILED = Counter(
    "oversight_mover_failed_files",
    "Move attempts that failed (the local copy was kept; retried with backoff).",
    registry=REGISTRY,
)
DOWNLOADS = Counter(
    "oversight_file_downloads",
    "Files served through signed links, by what (content, preview) and tier.",
    ("what", "tier"),
    registry=REGISTRY,
)
UPLOADS = Counter(
    "oversight_file_uploads",
    "Uploads accepted.",
    registry=REGISTRY,
)
UPLOAD_BYTES = Counter(
    "oversight_file_upload_bytes",
    "Bytes of accepted uploads (after cleaning).",
    registry=REGISTRY,
)


def backlogs(
    connection: Connection, settings: Settings, now: datetime | None = None
) -> tuple[int, int]:
    """(hot files due to move, 0 without a cold tier; previews pending)."""
    due = (now or utcnow()) - timedelta(days=settings.files.hot_days)
    backlog = connection.scalar(
        select(func.count()).where(Blob.tier == Tier.hot, Blob.created_at <= due)
    )
    previews = connection.scalar(
        select(func.count()).where(Blob.preview_state == PreviewState.pending)
    )
    return (int(backlog or 0) if settings.files.cold is not None else 0), int(previews or 0)


class FilesCollector:
    """`oversight_mover_backlog_files`: hot files old enough to move (0 without a cold tier);
    `oversight_preview_backlog_files`: attachments waiting for their preview."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    def collect(self) -> Iterator[Metric]:
        try:
            with self._engine.connect() as connection:
                backlog, previews = backlogs(connection, self._settings)
        except SQLAlchemyError:
            return
        mover = GaugeMetricFamily(
            "oversight_mover_backlog_files", "Hot files due to move to the cold tier."
        )
        mover.add_metric([], float(backlog))
        pending = GaugeMetricFamily(
            "oversight_preview_backlog_files", "Attachments waiting for their preview."
        )
        pending.add_metric([], float(previews or 0))
        yield mover
        yield pending


def _export_from_start() -> None:
    """Every labelled series exists at 0 from start-up, so dashboards and alerts see a zero
    rather than no data before the first preview or download."""
    for outcome in ("ready", "unavailable"):
        PREVIEW_SECONDS.labels(outcome)
    for mime in ("image/jpeg", "image/png", "application/pdf"):
        PREVIEW_FAILURES.labels(mime)
    for what in ("download", "preview"):
        for tier in Tier:
            DOWNLOADS.labels(what, tier.value)


_export_from_start()
