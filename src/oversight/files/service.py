"""Attaching, listing, deleting and reading files. Services only flush; the caller commits.

The ORM audit capture records every attachment row created or soft-deleted (entity
`attachment`); downloads are recorded here as `attachment.download` events.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.files import content, metrics, pdf, repository
from oversight.files.errors import FileUnavailable, TooManyAttachments
from oversight.files.kinds import HEIC, JPEG, PDF, FileType
from oversight.files.models import Attachment, Blob, PreviewState, Tier
from oversight.files.schemas import AttachmentRead
from oversight.files.store import HotStore, digest, object_name
from oversight.files.upload import Received
from oversight.kit.clock import utcnow
from oversight.kit.pagination import Page, PageParams
from oversight.service_requests import repository as request_repository
from oversight.storage import StorageError, open_storage
from oversight.vocabulary import Role

# Roles that may delete anyone's attachment in their scope; others only their own uploads.
_DELETE_ANY = frozenset({Role.admin, Role.project_manager})


def hot_store(settings: Settings) -> HotStore:
    return HotStore(settings.files.hot_dir)


def to_read(attachment: Attachment, blob: Blob) -> AttachmentRead:
    return AttachmentRead(
        id=attachment.id,
        request_id=attachment.request_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by_id=attachment.uploaded_by_id,
        uploaded_at=attachment.uploaded_at,
        tier=blob.tier,
        preview_state=blob.preview_state,
        preview_reason=blob.preview_reason,
    )


def request_attachments(
    session: Session, request_id: int, params: PageParams
) -> tuple[list[tuple[Attachment, Blob]], int]:
    """One page of a request's live attachments, each with its blob, in the caller's scope, and
    their number; NotFound when the request is not the caller's to see."""
    request_repository.get_request_or_raise(session, request_id)
    rows, total = repository.list_attachments(session, request_id, params)
    return [(row, repository.get_blob(session, row.blob_id)) for row in rows], total


def attachments_page(session: Session, request_id: int, params: PageParams) -> Page[AttachmentRead]:
    """`request_attachments` as the API's page."""
    rows, total = request_attachments(session, request_id, params)
    return Page[AttachmentRead](
        items=[to_read(row, blob) for row, blob in rows],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )


def attachment_with_blob(session: Session, attachment_id: int) -> tuple[Attachment, Blob]:
    """A live attachment in the caller's scope and its blob; NotFound otherwise."""
    attachment = repository.get_attachment_or_raise(session, attachment_id)
    return attachment, repository.get_blob(session, attachment.blob_id)


def request_files(session: Session, settings: Settings, request_id: int) -> list[AttachmentRead]:
    """Every live attachment of a request as the API shows them (the bot's /files): a request
    holds at most `files.max_per_request`, so one page of that size is all of them."""
    params = PageParams(page=1, page_size=settings.files.max_per_request)
    rows, _ = request_attachments(session, request_id, params)
    return [to_read(row, blob) for row, blob in rows]


def read_preview(
    session: Session, settings: Settings, attachment_id: int
) -> tuple[AttachmentRead, bytes | None]:
    """A live attachment in the caller's scope (NotFound otherwise) and its preview's JPEG
    bytes, None when it has none; a preview returned is an `attachment.preview` download
    (audit event and counter), as when opened through a signed link."""
    attachment, blob = attachment_with_blob(session, attachment_id)
    path = preview_path(settings, blob)
    try:
        photo = path.read_bytes() if path is not None else None
    except OSError:
        photo = None
    if photo is not None:
        record_download(session, attachment, "preview", blob.tier)
    return to_read(attachment, blob), photo


def check_room(session: Session, settings: Settings, request_id: int) -> None:
    """NotFound if the request is not the caller's to see, 409 if it holds the most files."""
    request_repository.get_request_or_raise(session, request_id)
    limit = settings.files.max_per_request
    if repository.count_live(session, request_id) >= limit:
        raise TooManyAttachments(f"the request already holds {limit} attachments (the limit)")


def _clean(store: HotStore, received: Received) -> tuple[Path, FileType]:
    """The spool file as it will be stored (images re-encoded without metadata, PDFs and
    office documents checked and kept as they are) and its type."""
    kind = content.sniff_file(received.path)
    if kind.image:
        cleaned = store.spool_path()
        try:
            content.clean_image(received.path, cleaned, kind)
        except BaseException:
            cleaned.unlink(missing_ok=True)
            raise
        received.path.unlink(missing_ok=True)
        return cleaned, (JPEG if kind is HEIC else kind)
    if kind is PDF:
        pdf.check_pdf(received.path)
    return received.path, kind


def attach(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    request_id: int,
    received: Received,
) -> Attachment:
    """Check, clean and store a received file, attach it to the request; the spool file is
    gone afterwards whatever happens. Same content as a stored blob: stored once."""
    store = hot_store(settings)
    spooled = received.path
    try:
        check_room(session, settings, request_id)
        spooled, kind = _clean(store, received)
        sha256, size = digest(spooled)
        store.adopt(spooled, sha256)
    finally:
        spooled.unlink(missing_ok=True)
        received.path.unlink(missing_ok=True)
    blob = _blob_for(session, sha256, size, kind.mime)
    attachment = Attachment(
        request_id=request_id,
        blob_id=blob.id,
        filename=content.safe_filename(received.filename, kind),
        content_type=kind.mime,
        size=size,
        sha256=sha256,
        uploaded_by_id=principal.user_id,
    )
    session.add(attachment)
    session.flush()
    metrics.UPLOADS.inc()
    metrics.UPLOAD_BYTES.inc(size)
    return attachment


def _blob_for(session: Session, sha256: str, size: int, mime: str) -> Blob:
    """The blob of this content, created if new (a concurrent upload of the same bytes may
    win the insert: then its row is used)."""
    found = repository.blob_by_sha(session, sha256)
    if found is not None:
        return found
    blob = Blob(sha256=sha256, size=size, content_type=mime)
    try:
        with session.begin_nested():
            session.add(blob)
    except IntegrityError:
        found = repository.blob_by_sha(session, sha256)
        assert found is not None
        return found
    return blob


def may_delete(principal: Principal, attachment: Attachment) -> bool:
    """Administrators and project managers may delete any attachment in their scope; other
    roles only what they uploaded themselves."""
    return principal.role in _DELETE_ANY or attachment.uploaded_by_id == principal.user_id


def delete_attachment(*, session: Session, principal: Principal, attachment: Attachment) -> None:
    """Soft delete (the blob stays: other attachments may name it, backups hold it); the
    caller has checked `may_delete`."""
    attachment.deleted_at = utcnow()
    attachment.deleted_by_id = principal.user_id
    session.flush()


def record_download(session: Session, attachment: Attachment, what: str, tier: Tier) -> None:
    record_event(
        session,
        f"attachment.{what}",
        entity_type="attachment",
        entity_id=attachment.id,
        details={"request_id": attachment.request_id, "sha256": attachment.sha256, "tier": tier},
    )
    metrics.DOWNLOADS.labels(what, tier.value).inc()


@contextmanager
def open_blob(settings: Settings, blob: Blob) -> Iterator[BinaryIO]:
    """A stream of the blob's bytes from whichever tier holds it (cold: read back through
    the cold target). FileUnavailable when the tier cannot be read now."""
    if blob.tier is Tier.hot:
        path = hot_store(settings).blob_path(blob.sha256)
        try:
            stream = path.open("rb")
        except OSError:
            raise FileUnavailable("the file cannot be read from the hot tier now") from None
        with stream:
            yield stream
        return
    target = settings.files.cold
    if target is None:
        raise FileUnavailable("the file is in the cold tier, which is not configured")
    try:
        storage = open_storage(target)
        remote_context = storage.get(object_name(blob.sha256))
        remote = remote_context.__enter__()
    except StorageError:
        raise FileUnavailable("the cold tier cannot be read now; retry later") from None
    try:
        yield remote
    finally:
        remote_context.__exit__(None, None, None)
        storage.close()


def preview_path(settings: Settings, blob: Blob) -> Path | None:
    if blob.preview_state is not PreviewState.ready:
        return None
    path = hot_store(settings).preview_path(blob.sha256)
    return path if path.exists() else None
