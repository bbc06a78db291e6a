"""/files <request number>: the request's attachments the linked user may see, with a button
per ready preview; /preview <attachment number> (or the button): the preview as a photo, or
why there is none.

Both read through `oversight.files.service` in the user's row scope, exactly as the API:
a request or attachment out of scope gets the same answer as one that does not exist. A
preview sent is an `attachment.preview` audit event, like one opened through a signed link.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from oversight.auth.dependencies import deny
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.errors import NotFound
from oversight.files import service as file_service
from oversight.files.kinds import HEIC, JPEG, OFFICE, PDF, PNG
from oversight.files.schemas import AttachmentRead
from oversight.telegram.runtime import Button, Call, Command, Refusal, Reply, _

ATTACHMENTS = frozenset({Resource.attachments})
BUTTONS_SHOWN = 20  # preview buttons under one /files answer
PREVIEW_DATA = "file:preview:"
_ID = re.compile(r"^#?([0-9]{1,18})$")
_PRESS = re.compile(r"^file:preview:([0-9]{1,18})$")
_LABELS = {kind.mime: kind.extension.upper() for kind in (JPEG, PNG, HEIC, PDF, *OFFICE)}
_NAME = 60  # characters of a file name shown
# The reasons `oversight.files.previews` stores (in English) that are shown translated;
# any other reason is shown as stored.
_REASONS = {
    "the PDF cannot be opened": _("the PDF cannot be opened"),
    "the PDF's first page cannot be rendered": _("the PDF's first page cannot be rendered"),
    "the file is in the cold tier": _("the file is in the cold tier"),
}
_IMAGE_REASON = re.compile(r"^the image cannot be decoded \((\w+)\)$")


def _number(call: Call, example: str) -> int:
    found = _ID.match(call.args[0]) if len(call.args) == 1 else None
    if found is None:
        raise Refusal(call.t("Give one number, e.g. {example}.").format(example=example),
                      usage=True)  # fmt: skip
    return int(found[1])


def _size(call: Call, size: int) -> str:
    if size < 1024:
        unit = call.t("B")
        return f"{size} {unit}"
    if size < 1024 * 1024:
        unit = call.t("KiB")
        return f"{call.wording.number(Decimal(size) / 1024)} {unit}"
    unit = call.t("MiB")
    return f"{call.wording.number(Decimal(size) / 2**20)} {unit}"


def _when(call: Call, moment: datetime) -> str:
    return f"{moment.astimezone(ZoneInfo(call.settings.company.timezone)):%d.%m.%Y %H:%M}"


def _name(attachment: AttachmentRead) -> str:
    name = attachment.filename
    return name if len(name) <= _NAME else name[: _NAME - 1] + "…"


def _no_preview(call: Call, attachment: AttachmentRead) -> str | None:
    """Why the attachment has no preview, in the caller's words; None when it has one."""
    state = attachment.preview_state.value
    if state == "ready":
        return None
    if state == "pending":
        return call.t("preview not ready yet")
    if state == "none":
        return call.t("no preview for this type")
    stored = (attachment.preview_reason or "?")[:200]
    known = _REASONS.get(stored)
    image = _IMAGE_REASON.match(stored)
    if known is not None:
        stored = call.t(known)
    elif image is not None:
        stored = call.t("the image cannot be decoded ({error})").format(error=image[1])
    return call.t("no preview: {reason}").format(reason=stored)


def list_files(call: Call) -> Reply:
    request_id = _number(call, "/files 12")
    try:
        rows = file_service.request_files(call.session, call.settings, request_id)
    except NotFound:
        text = call.t("No request #{id}.").format(id=request_id)
        raise Refusal(text, outcome="not_found") from None
    if not rows:
        return Reply(call.t("Request #{id} has no files.").format(id=request_id))
    count = call.wording.ngettext("{count} file", "{count} files", len(rows))
    heading = call.t("Request #{id}: {count}")
    lines = [heading.format(id=request_id, count=count.format(count=len(rows)))]
    buttons: list[tuple[str, str]] = []
    for attachment in rows:
        parts = [f"#{attachment.id} {_name(attachment)}",
                 _LABELS.get(attachment.content_type, attachment.content_type),
                 _size(call, attachment.size), _when(call, attachment.uploaded_at)]  # fmt: skip
        missing = _no_preview(call, attachment)
        if missing is None:
            if len(buttons) < BUTTONS_SHOWN:
                buttons.append((f"🖼 #{attachment.id} {_name(attachment)[:40]}",
                                f"{PREVIEW_DATA}{attachment.id}"))  # fmt: skip
        else:
            parts.append(missing)
        lines.append(" · ".join(parts))
    if buttons:
        lines.append(call.t("Tap a file for its preview, or send /preview <number>."))
    return Reply("\n".join(lines), buttons=tuple(buttons))


def _preview(call: Call, attachment_id: int) -> Reply:
    try:
        attachment, photo = file_service.read_preview(call.session, call.settings, attachment_id)
    except NotFound:
        text = call.t("No file #{id}.").format(id=attachment_id)
        raise Refusal(text, outcome="not_found") from None
    if photo is None:
        reason = _no_preview(call, attachment) or call.t("preview not available now")
        text = call.t("#{id} {name}: {reason}.")
        return Reply(text.format(id=attachment.id, name=_name(attachment), reason=reason))
    caption = call.t("#{id} {name}, request #{request}")
    return Reply(
        caption.format(id=attachment.id, name=_name(attachment), request=attachment.request_id),
        photo=photo,
    )


def send_preview(call: Call) -> Reply:
    return _preview(call, _number(call, "/preview 41"))


def press_preview(call: Call, data: str, sent_at: datetime | None) -> str | Reply:
    found = _PRESS.match(data)
    if found is None:
        return call.t("Unknown button.")
    if not is_allowed(call.principal.role, Resource.attachments, Action.read):
        deny(call.session, call.principal, Resource.attachments.value, "read")
    try:
        return _preview(call, int(found[1]))
    except Refusal as refusal:
        return refusal.text


COMMANDS = (
    Command("files", _("/files <request number>"), _("the files attached to a request"),
            list_files, needs=ATTACHMENTS),
    Command("preview", _("/preview <file number>"), _("a file's preview as a picture"),
            send_preview, needs=ATTACHMENTS),
)  # fmt: skip

BUTTONS = (Button("file", r"^file:preview:", press_preview),)
