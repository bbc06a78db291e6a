# ruff: noqa: RUF001 - Russian text is what one test checks
"""/files and /preview in the bot against the local Bot API: the request's attachments in the
linked user's row scope, a button per ready preview, the preview sent as a photo (audited
like a signed-link preview), the reason when there is none; out of scope reads as missing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import files_samples as samples
from bot_harness import link
from builders import make_user
from companies import make_company
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.config import FilesSettings, Settings
from oversight.files import previews
from oversight.files.kinds import DOCX
from oversight.files.models import Attachment, Blob
from oversight.vocabulary import Role


@pytest.fixture
def files_bot(start_bot, settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    configured = settings.model_copy(update={"files": FilesSettings(hot_dir=tmp_path / "hot")})
    return start_bot(_settings=configured), configured


def _attach(session: Session, settings: Settings, request_id: int, body: bytes, name: str,
            mime: str) -> Attachment:  # fmt: skip
    """A stored attachment (the bytes in the hot folder) with its preview rendered."""
    sha = hashlib.sha256(body).hexdigest()
    path = settings.files.hot_dir / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    blob = Blob(sha256=sha, size=len(body), content_type=mime)
    session.add(blob)
    session.flush()
    attachment = Attachment(request_id=request_id, blob_id=blob.id, filename=name,
                            content_type=mime, size=len(body), sha256=sha)  # fmt: skip
    session.add(attachment)
    previews.render_blob(settings, blob)
    session.flush()
    return attachment


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.info.pop(PRINCIPAL_KEY, None)
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(statement))


def test_files_lists_the_request_and_sends_previews(files_bot, session, tmp_path):
    bot, settings = files_bot
    world = make_company(session)
    rid = world.request.id
    photo = _attach(session, settings, rid, samples.jpeg(800, 400), "boiler.jpg", "image/jpeg")
    broken = _attach(session, settings, rid, b"%PDF-1.4 broken", "act.pdf", "application/pdf")
    act = _attach(session, settings, rid, samples.ooxml("docx"), "act.docx", DOCX.mime)
    account = link(session, settings, world.engineer)

    listed = bot.ask(account, f"/files {rid}")
    lines = listed.text.splitlines()
    (tmp_path / "files.txt").write_text(listed.text + "\n" + listed.params["reply_markup"])
    assert lines[0] == f"Request #{rid}: 3 files"
    assert lines[1].startswith(f"#{photo.id} boiler.jpg · JPG · ")
    assert " KiB · " in lines[1]
    assert lines[2].endswith(" · no preview: the PDF cannot be opened")
    assert lines[2].startswith(f"#{broken.id} act.pdf · PDF · 15 B · ")
    assert lines[3].startswith(f"#{act.id} act.docx · DOCX · ")
    assert lines[3].endswith(" · no preview for this type")
    assert lines[4] == "Tap a file for its preview, or send /preview <number>."
    keyboard = json.loads(listed.params["reply_markup"])["inline_keyboard"]
    assert keyboard == [[{"text": f"🖼 #{photo.id} boiler.jpg",
                          "callback_data": f"file:preview:{photo.id}"}]]  # fmt: skip

    sent = bot.ask(account, f"/preview {photo.id}")
    assert sent.method == "sendPhoto"
    assert sent.params["caption"] == f"#{photo.id} boiler.jpg, request #{rid}"
    preview = settings.files.hot_dir / "previews" / f"{photo.sha256}.jpg"
    assert sent.files["photo"] == preview.read_bytes()
    (tmp_path / "preview.jpg").write_bytes(sent.files["photo"])

    before = len(bot.api.answers())
    bot.api.press(account, f"file:preview:{photo.id}")
    pressed, again = bot.api.wait_answers(before + 2)[before:]
    assert (pressed.method, pressed.params.get("text")) == ("answerCallbackQuery", None)
    assert again.method == "sendPhoto"
    assert again.files["photo"] == sent.files["photo"]

    none = bot.ask(account, f"/preview {act.id}")
    assert none.text == f"#{act.id} act.docx: no preview for this type."
    previews_served = _events(session, "attachment.preview")
    assert [e.entity_id for e in previews_served] == [str(photo.id)] * 2
    assert all(e.actor_id == world.engineer.id for e in previews_served)
    assert all(e.request_id and e.request_id.startswith("tg-") for e in previews_served)
    commands = [json.loads(e.changes or "{}") for e in _events(session, "bot.command")]
    assert {"command": "preview", "outcome": "ok", "channel": "telegram"} in commands
    assert len(_events(session, "bot.button")) == 1

    bot.ask(account, "/lang ru")
    russian_text = bot.ask(account, f"/files {rid}").text
    (tmp_path / "files-ru.txt").write_text(russian_text)
    russian = russian_text.splitlines()
    assert russian[0] == f"Заявка №{rid}: 3 файла"
    assert russian[2].endswith(" · превью нет: PDF не открывается")
    assert russian[3].endswith(" · у файлов этого типа нет превью")


def test_out_of_scope_reads_as_missing(files_bot, session):
    bot, settings = files_bot
    ours, theirs = make_company(session), make_company(session)
    hidden = _attach(session, settings, theirs.request.id, samples.png(), "x.png", "image/png")
    client = link(session, settings, ours.contact)

    assert bot.ask(client, f"/files {theirs.request.id}").text == (
        f"No request #{theirs.request.id}."
    )
    assert bot.ask(client, "/files 987654321").text == "No request #987654321."
    assert bot.ask(client, f"/preview {hidden.id}").text == f"No file #{hidden.id}."
    assert bot.ask(client, "/preview 987654321").text == "No file #987654321."
    before = len(bot.api.answers())
    bot.api.press(client, f"file:preview:{hidden.id}")
    [pressed] = bot.api.wait_answers(before + 1)[before:]
    assert pressed.params["text"] == f"No file #{hidden.id}."
    assert bot.ask(client, f"/files {ours.request.id}").text == (
        f"Request #{ours.request.id} has no files."
    )
    assert bot.ask(client, "/files twelve").text == (
        "Give one number, e.g. /files 12.\nUsage: /files <request number>"
    )
    outcomes = [json.loads(e.changes or "{}")["outcome"] for e in _events(session, "bot.command")]
    assert outcomes.count("not_found") == 4

    # A role whose scope is every company (every role may read attachments) sees the file.
    viewer = link(session, settings, make_user(session, Role.viewer))
    seen = bot.ask(viewer, f"/files {theirs.request.id}").text.splitlines()
    assert seen[1].startswith(f"#{hidden.id} x.png · PNG · ")
