"""The files' scheduled jobs: render pending previews every minute; move old files to the
cold tier every `files.mover_every_minutes` (only when a cold target is configured)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.files import mover, previews
from oversight.jobs.registry import JobRegistry


def register(jobs: JobRegistry, settings: Settings) -> None:
    def render_file_previews(session: Session) -> None:
        """Render the previews of new attachments (images, PDFs); mark the rest unavailable."""
        previews.render_pending(session, settings)

    def move_files_to_cold(session: Session) -> None:
        """Copy hot files older than `files.hot_days` to the cold tier, verify, free locally."""
        mover.run_mover(session, settings)

    jobs.add("file_previews", render_file_previews, every=timedelta(minutes=1))
    if settings.files.cold is not None:
        jobs.add(
            "file_mover",
            move_files_to_cold,
            every=timedelta(minutes=settings.files.mover_every_minutes),
        )
