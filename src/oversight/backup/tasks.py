"""Scheduled backup jobs: the nightly backup, the RPO monitor, the monthly log and audit
archives, the storage monitor, and — on a drill host that holds the identity — the weekly
restore drill."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from oversight.backup import archiving, drill, monitoring, service, storage_monitor
from oversight.backup.crypto import read_identities
from oversight.config import Settings
from oversight.jobs.registry import JobRegistry


def register(jobs: JobRegistry, settings: Settings) -> None:
    def backup_run(session: Session) -> None:
        """Back up the database and files, upload, verify, apply retention, re-read a seventh."""
        service.run(session, settings)
        monitoring.reread_due(settings, service.engine_of(session))
        monitoring.monitor(settings, service.engine_of(session))

    def backup_monitor(session: Session) -> None:
        """Export the age of the newest verified backup and the newest successful drill."""
        monitoring.monitor(settings, service.engine_of(session))

    def backup_archive(session: Session) -> None:
        """Ship old log files and new audit archives, encrypted; expire old archives."""
        archiving.run_archives(session, settings)

    def storage_monitor_scan(session: Session) -> None:
        """List the watched storage paths; store today's snapshot; export the gauges."""
        storage_monitor.scan(session, settings)

    jobs.add("backup_run", backup_run, cron=settings.backup.cron)
    jobs.add("backup_archive", backup_archive, cron=settings.archives.schedule)
    jobs.add(
        "storage_monitor",
        storage_monitor_scan,
        every=timedelta(minutes=settings.storage_monitor.interval_minutes),
        run_at_start=True,
    )
    jobs.add("backup_monitor", backup_monitor, every=timedelta(minutes=5))
    identity_file = settings.backup.drill_identity_file
    if identity_file is not None:

        def backup_drill(session: Session) -> None:
            """Restore the newest backup into a scratch database and check it."""
            identities = read_identities(identity_file)
            drill.drill(session, settings, service.engine_of(session), identities)

        jobs.add("backup_drill", backup_drill, cron=settings.backup.drill_schedule)
