"""Queries of attachments and blobs. Attachments are row-scoped by the session's principal
(`oversight.auth.scope`); blobs are reached through them or by the jobs (unscoped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from oversight.auth.scope import get_visible_or_raise
from oversight.errors import NotFound
from oversight.files.models import Attachment, Blob, PreviewState, Tier
from oversight.kit.pagination import PageParams, fetch_page


def get_attachment_or_raise(session: Session, attachment_id: int) -> Attachment:
    """A live attachment in the caller's scope; NotFound for missing, hidden or deleted."""
    attachment = get_visible_or_raise(session, Attachment, attachment_id, "attachment")
    if attachment.deleted_at is not None:
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment


def list_attachments(
    session: Session, request_id: int, params: PageParams
) -> tuple[Sequence[Attachment], int]:
    """One page of a request's live attachments, oldest first, and their number."""
    statement = (
        select(Attachment)
        .where(Attachment.request_id == request_id, Attachment.deleted_at.is_(None))
        .order_by(Attachment.id)
    )
    return fetch_page(session, statement, params)


def count_live(session: Session, request_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Attachment.request_id == request_id, Attachment.deleted_at.is_(None)
            )
        )
        or 0
    )


def blob_by_sha(session: Session, sha256: str) -> Blob | None:
    return session.scalars(select(Blob).where(Blob.sha256 == sha256)).first()


def get_blob(session: Session, blob_id: int) -> Blob:
    blob = session.get(Blob, blob_id)
    if blob is None:
        raise NotFound(f"file content {blob_id} not found")
    return blob


def pending_previews(session: Session, limit: int) -> Sequence[Blob]:
    return session.scalars(
        select(Blob)
        .where(Blob.preview_state == PreviewState.pending)
        .order_by(Blob.id)
        .limit(limit)
    ).all()


def due_for_cold(
    session: Session, *, created_before: datetime, now: datetime, limit: int
) -> Sequence[Blob]:
    """Hot blobs old enough to move whose retry time (after a failure) has come."""
    return session.scalars(
        select(Blob)
        .where(
            Blob.tier == Tier.hot,
            Blob.created_at <= created_before,
            or_(Blob.next_move_at.is_(None), Blob.next_move_at <= now),
        )
        .order_by(Blob.created_at, Blob.id)
        .limit(limit)
    ).all()
