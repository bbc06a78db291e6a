"""Attachments of service requests, and the signed download links that need no token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from oversight.auth.dependencies import SessionDep, SettingsDep, deny, require
from oversight.auth.models import User
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal, bind_principal
from oversight.context import note_user
from oversight.errors import NotFound
from oversight.files import repository, signing
from oversight.files import service as file_service
from oversight.files.errors import LinkRefused
from oversight.files.models import Attachment
from oversight.files.schemas import AttachmentLinks, AttachmentRead
from oversight.files.store import CHUNK
from oversight.files.upload import receive_file
from oversight.kit.ids import RecordId
from oversight.kit.page_query import UnsortedPageQuery
from oversight.kit.pagination import Page
from oversight.kit.routing import OffloadedRoute
from oversight.observability.logging import get_logger

log = get_logger("oversight.files")

router = APIRouter(tags=["attachments"], route_class=OffloadedRoute)
UPLOAD_PATH = "/requests/{request_id}/attachments"
SIGNED_DOWNLOAD = "/files/{attachment_id}/content"
SIGNED_PREVIEW = "/files/{attachment_id}/preview"

AttachmentReader = Annotated[Principal, Depends(require(Resource.attachments, Action.read))]
AttachmentCreator = Annotated[Principal, Depends(require(Resource.attachments, Action.create))]
AttachmentDeleter = Annotated[Principal, Depends(require(Resource.attachments, Action.delete))]


@router.post(UPLOAD_PATH, status_code=status.HTTP_201_CREATED)
async def upload_attachment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AttachmentCreator,
    request_id: RecordId,
) -> AttachmentRead:
    """Attach one file (multipart field `file`), streamed to disk and refused with 413 as
    soon as it passes `files.max_size_bytes`; its type is decided by its content."""
    await run_in_threadpool(file_service.check_room, session, settings, request_id)
    spool = file_service.hot_store(settings).spool_path()
    received = await receive_file(request, spool, settings.files.max_size_bytes)
    attachment = await run_in_threadpool(
        lambda: file_service.attach(
            session=session,
            settings=settings,
            principal=principal,
            request_id=request_id,
            received=received,
        )
    )
    blob = repository.get_blob(session, attachment.blob_id)
    log.info("attachment uploaded", action="attachment_upload", entity="attachment",
             entity_id=attachment.id, size=attachment.size, status="success")  # fmt: skip
    return file_service.to_read(attachment, blob)


@router.get(UPLOAD_PATH)
def list_attachments(
    session: SessionDep, _: AttachmentReader, request_id: RecordId, params: UnsortedPageQuery
) -> Page[AttachmentRead]:
    """The photos and signed acts of one request in the caller's scope, oldest first, a page
    at a time. Download one through POST /attachments/{id}/links."""
    return file_service.attachments_page(session, request_id, params)


@router.get("/attachments/{attachment_id}")
def read_attachment(
    session: SessionDep, _: AttachmentReader, attachment_id: RecordId
) -> AttachmentRead:
    """One attachment's metadata (name, type, size, preview state). Fetch the file itself through
    POST /attachments/{id}/links."""
    return file_service.to_read(*file_service.attachment_with_blob(session, attachment_id))


@router.delete("/attachments/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_attachment(
    session: SessionDep, principal: AttachmentDeleter, attachment_id: RecordId
) -> None:
    """Remove an attachment: administrators and project managers any in their scope, other
    roles only what they uploaded (403 otherwise). It leaves the request's list; the removal
    is audited."""
    attachment = repository.get_attachment_or_raise(session, attachment_id)
    if not file_service.may_delete(principal, attachment):
        deny(session, principal, "attachments", "delete", "only the uploader may delete it")
    file_service.delete_attachment(session=session, principal=principal, attachment=attachment)


@router.post("/attachments/{attachment_id}/links")
def sign_attachment_links(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AttachmentReader,
    attachment_id: RecordId,
) -> AttachmentLinks:
    """Links to the file and its preview, valid `files.link_ttl_seconds` for the caller."""
    attachment = repository.get_attachment_or_raise(session, attachment_id)
    blob = repository.get_blob(session, attachment.blob_id)
    prefix = request.scope.get("root_path", "") + "/api/v1"
    download = signing.sign(
        settings, prefix + SIGNED_DOWNLOAD.format(attachment_id=attachment.id), principal.user_id
    )
    preview = None
    if file_service.preview_path(settings, blob) is not None:
        preview = signing.sign(
            settings, prefix + SIGNED_PREVIEW.format(attachment_id=attachment.id), principal.user_id
        )
    expires = int(download.split("expires=")[1].split("&")[0])
    return AttachmentLinks(
        download_url=download,
        preview_url=preview,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


class LinkQuery:
    """The signed link's query: expiry (Unix time), user id, key id and signature."""

    def __init__(
        self,
        expires: Annotated[str | None, Query(max_length=20)] = None,
        user: Annotated[str | None, Query(max_length=20)] = None,
        kid: Annotated[str | None, Query(max_length=64)] = None,
        sig: Annotated[str | None, Query(max_length=128)] = None,
    ) -> None:
        self.expires, self.user, self.kid, self.sig = expires, user, kid, sig


LinkDep = Annotated[LinkQuery, Depends()]


def _claimed_attachment(
    request: Request, session: SessionDep, settings: SettingsDep, link: LinkQuery, ident: int
) -> Attachment:
    """The attachment a valid signed link names, read in the scope of the user it was
    signed for (a user since disabled is refused; one who lost the request gets 404)."""
    claims = signing.verify(
        settings,
        request.url.path,
        expires=link.expires,
        user=link.user,
        kid=link.kid,
        sig=link.sig,
    )
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise LinkRefused("link refused: its user is no longer active")
    bind_principal(session, Principal(user.id, user.username, user.role, user.customer_id))
    note_user(user.id)
    return repository.get_attachment_or_raise(session, ident)


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.get(SIGNED_DOWNLOAD)
def download_attachment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link: LinkDep,
    attachment_id: RecordId,
) -> StreamingResponse:
    """The file, for the holder of a valid signed link (no bearer token); from the cold tier
    it streams back through the cold target. Every download is an audit event and a log line."""
    attachment = _claimed_attachment(request, session, settings, link, attachment_id)
    blob = repository.get_blob(session, attachment.blob_id)
    stack = ExitStack()
    stream = stack.enter_context(file_service.open_blob(settings, blob))
    file_service.record_download(session, attachment, "download", blob.tier)
    log.info("attachment downloaded", action="attachment_download", entity="attachment",
             entity_id=attachment.id, tier=blob.tier.value, status="success")  # fmt: skip

    def chunks() -> Iterator[bytes]:
        with stack:
            while chunk := stream.read(CHUNK):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": _disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(SIGNED_PREVIEW)
def preview_attachment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link: LinkDep,
    attachment_id: RecordId,
) -> FileResponse:
    """The attachment's preview (JPEG), for the holder of a valid signed link."""
    attachment = _claimed_attachment(request, session, settings, link, attachment_id)
    blob = repository.get_blob(session, attachment.blob_id)
    path = file_service.preview_path(settings, blob)
    if path is None:
        raise NotFound(f"attachment {attachment_id} has no preview")
    file_service.record_download(session, attachment, "preview", blob.tier)
    log.info("attachment preview served", action="attachment_preview", entity="attachment",
             entity_id=attachment.id, status="success")  # fmt: skip
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
