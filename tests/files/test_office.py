"""Plain office documents (DOCX, XLSX, ODT, ODS): recognised by their ZIP structure, stored as
they are, with the "no preview for this type" state; macro-enabled documents, other archives,
polyglots and ZIP bombs refused with their reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

import files_samples as samples
from companies import make_company
from files_samples import upload
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.files import content, office, previews
from oversight.files.errors import BadUpload, UnsupportedFile
from oversight.files.kinds import DOCX, ODS, ODT, XLSX
from oversight.files.models import Blob, PreviewState
from oversight.observability.metrics import REGISTRY


def _file(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "upload.bin"
    path.write_bytes(body)
    return path


ACCEPTED = {
    "docx": (lambda: samples.ooxml("docx"), DOCX),
    "xlsx": (lambda: samples.ooxml("xlsx"), XLSX),
    "odt": (lambda: samples.odf("text"), ODT),
    "ods": (lambda: samples.odf("spreadsheet"), ODS),
}


@pytest.mark.parametrize(("make", "kind"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_each_office_type_is_recognised_by_its_structure(tmp_path, make, kind):
    assert content.sniff_file(_file(tmp_path, make())) is kind


REFUSED = {
    "macro-enabled word": (lambda: samples.ooxml("docm", {"word/vbaProject.bin": b"\xd0\xcf"}),
                           UnsupportedFile, "macro"),
    "xlsx carrying a vba project": (lambda: samples.ooxml("xlsx", {"xl/vbaProject.bin": b"x"}),
                                    UnsupportedFile, "macro"),
    "activex control": (lambda: samples.ooxml("docx", {"word/activeX/activeX1.xml": b"<a/>"}),
                        UnsupportedFile, "macro"),
    "opendocument basic macros": (lambda: samples.odf("text", {"Basic/Standard/m.xml": b"x"}),
                                  UnsupportedFile, "macro"),
    "plain zip": (samples.zip_payload, UnsupportedFile, "only office documents"),
    "opendocument drawing": (lambda: samples.odf("graphics"), UnsupportedFile, "not accepted"),
    "mimetype not first": (lambda: samples.odf("text", mimetype_first=False), BadUpload,
                           "mimetype"),
    "zip followed by a payload": (lambda: samples.ooxml("docx") + b"MZ\x90\x00" * 8,
                                  UnsupportedFile, "data after its end"),
    "truncated": (lambda: samples.ooxml("docx")[:300], BadUpload, "not a readable ZIP"),
    "main part missing": (lambda: _without(samples.ooxml("docx"), "word/document.xml"),
                          BadUpload, "main part"),
    "xml entities": (lambda: _without(samples.ooxml("docx"), "[Content_Types].xml", LAUGHS),
                     UnsupportedFile, "XML entities"),
}  # fmt: skip


def _without(body: bytes, name: str, instead: bytes | None = None) -> bytes:
    """`body` without its entry `name` (or with `instead` as that entry's bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
            elif instead is not None:
                target.writestr(info, instead)
    return out.getvalue()


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Types>&b;</Types>'
)


@pytest.mark.parametrize(("make", "error", "reason"), list(REFUSED.values()), ids=list(REFUSED))
def test_what_is_not_a_plain_office_document_is_refused(tmp_path, make, error, reason):
    with pytest.raises(error, match=reason):
        content.sniff_file(_file(tmp_path, make()))


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(office, "RATIO_FROM", 1024 * 1024)
    bomb = samples.ooxml("docx", {"word/media/zeros.bin": bytes(4 * 1024 * 1024)})
    with pytest.raises(UnsupportedFile, match="expands too much"):
        content.sniff_file(_file(tmp_path, bomb))


def test_an_engineer_uploads_a_docx_act_stored_as_is_without_preview(
    files_client, session, auth, files_settings
):
    world = make_company(session)
    headers = auth(world.engineer)
    body = samples.ooxml("docx")
    response = upload(files_client, world.request.id, body, headers, "act.bin",
                      "application/octet-stream")  # fmt: skip
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["content_type"] == DOCX.mime
    assert created["filename"] == "act.bin.docx"
    sha = created["sha256"]
    assert (files_settings.files.hot_dir / sha[:2] / sha).read_bytes() == body

    session.info.pop(PRINCIPAL_KEY, None)
    blob = session.scalars(select(Blob).where(Blob.sha256 == sha)).one()
    failures = REGISTRY.get_sample_value(
        "oversight_preview_failures_total", {"content_type": DOCX.mime}
    )
    previews.render_blob(files_settings, blob)
    session.commit()
    assert (blob.preview_state, blob.preview_reason) == (
        PreviewState.none,
        "no preview for this type",
    )
    assert (
        REGISTRY.get_sample_value("oversight_preview_failures_total", {"content_type": DOCX.mime})
        == failures
    )  # not a failure
    shown = files_client.get(f"/api/v1/attachments/{created['id']}", headers=headers).json()
    assert (shown["preview_state"], shown["preview_reason"]) == ("none", "no preview for this type")

    macro = samples.ooxml("docm", {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    refused = upload(files_client, world.request.id, macro, headers, "act.docx", DOCX.mime)
    assert refused.status_code == 415
    assert "macro" in refused.json()["error"]["message"]
