"""The audit trail's scheduled job: verify the whole chain every night."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oversight.audit import service as audit_service
from oversight.config import Settings
from oversight.jobs.registry import JobRegistry
from oversight.observability.logging import get_logger

log = get_logger("oversight.audit")


def register(jobs: JobRegistry, settings: Settings) -> None:
    def verify_audit_chain(session: Session) -> None:
        """Walk the archives and the table; record the result as an `audit.verified` event."""
        result = audit_service.verify(session, settings.audit.archive_dir)
        if not result.ok:
            assert result.broken is not None
            log.error("audit chain broken", action="audit_verify", status="failure",
                      detail=result.broken.describe())  # fmt: skip

    jobs.add("audit_verify", verify_audit_chain, cron="30 2 * * *")
