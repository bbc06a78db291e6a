"""The audit trail's scheduled jobs: verify the whole chain every night, and publish a
checkpoint of the chain outside the database every `audit.checkpoint_minutes`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from oversight.audit import checkpoints
from oversight.audit import service as audit_service
from oversight.audit.chain import Break, Verification
from oversight.audit.models import GENESIS_HASH
from oversight.config import Settings
from oversight.jobs.registry import JobRegistry
from oversight.observability.logging import get_logger

log = get_logger("oversight.audit")


def known_checkpoints(settings: Settings) -> list[checkpoints.Checkpoint]:
    """The checkpoints of the configured file (CheckpointError if it cannot be read)."""
    file = checkpoints.checkpoint_file(settings)
    return [] if file is None else file.read()


def _readable_checkpoints(
    session: Session, settings: Settings, job: str
) -> list[checkpoints.Checkpoint] | None:
    """The known checkpoints, or None after recording a damaged checkpoint file as a failed
    verification (an anchor someone edited is a finding, not a job error)."""
    try:
        return known_checkpoints(settings)
    except checkpoints.CheckpointLocationError:
        raise
    except checkpoints.CheckpointError as error:
        audit_service.record_verification(session, Verification(0, 0, GENESIS_HASH, Break(
            None, "a checkpoint cannot be read", "well-formed checkpoint lines", str(error),
        )))  # fmt: skip
        log.error("audit checkpoint file damaged", action=job, status="failure")
        return None


def register(jobs: JobRegistry, settings: Settings) -> None:
    def verify_audit_chain(session: Session) -> None:
        """Walk the archives and the table through every known checkpoint; record the result
        in `audit_verifications` (and, when intact, as an `audit.verified` event)."""
        known = _readable_checkpoints(session, settings, "audit_verify")
        if known is None:
            return
        result = audit_service.verify(session, settings.audit.archive_dir, checkpoints=known)
        if not result.ok:
            assert result.broken is not None
            log.error("audit chain broken", action="audit_verify", status="failure",
                      detail=result.broken.describe())  # fmt: skip

    def publish_audit_checkpoint(session: Session) -> None:
        """Verify the chain since the last checkpoint and publish its head (position, hash,
        time) to the checkpoint file and any other publisher."""
        known = _readable_checkpoints(session, settings, "audit_checkpoint")
        if known is None:
            return
        run = audit_service.publish_checkpoint(
            session,
            known=known,
            publishers=checkpoints.publishers(settings),
            archive_dir=settings.audit.archive_dir,
        )
        if run.verification.broken is not None:
            log.error("audit chain broken; no checkpoint published", action="audit_checkpoint",
                      status="failure", detail=run.verification.broken.describe())  # fmt: skip
        elif run.published is not None:
            log.info("audit checkpoint published", action="audit_checkpoint", status="success",
                     position=run.published.position)  # fmt: skip

    jobs.add("audit_verify", verify_audit_chain, cron="30 2 * * *")
    jobs.add(
        "audit_checkpoint",
        publish_audit_checkpoint,
        every=timedelta(minutes=settings.audit.checkpoint_minutes),
    )
