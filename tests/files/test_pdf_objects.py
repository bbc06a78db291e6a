"""PDF active content hidden in compressed object streams (PDF 1.5 `/Type /ObjStm`, Flate):
found by decompressing the streams, refused like plain active content; an honest PDF built
the same way is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

import files_samples as samples
from companies import make_company
from files_samples import upload
from oversight.files import pdf
from oversight.files.errors import BadUpload, UnsupportedFile

HIDDEN = {
    "open action with JavaScript": (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", b""),
    "launch action": (b"/OpenAction << /S /Launch /F (calc.exe) >>", b""),
    "embedded file": (b"/Names << /EmbeddedFiles << /Names [(a.exe) 9 0 R] >> >>", b""),
    "page action escaped": (b"", b"/AA << /O << /S /J#61vaScript /JS (x) >> >>"),
}


def _file(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "upload.pdf"
    path.write_bytes(body)
    return path


@pytest.mark.parametrize(("catalog", "page"), list(HIDDEN.values()), ids=list(HIDDEN))
def test_active_content_inside_an_object_stream_is_refused(tmp_path, catalog, page):
    body = samples.pdf_with_object_stream(catalog, page)
    assert not pdf.ACTIVE.search(body)  # compressed: a byte scan alone would not see it
    with pytest.raises(UnsupportedFile, match="active content"):
        pdf.check_pdf(_file(tmp_path, body))


def test_an_honest_pdf_with_object_streams_is_accepted(tmp_path):
    pdf.check_pdf(_file(tmp_path, samples.pdf_with_object_stream()))


def test_a_broken_object_stream_is_refused_not_trusted(tmp_path):
    body = samples.pdf_with_object_stream()
    start = body.index(b"stream\n") + len(b"stream\n")
    broken = body[:start] + b"\x00" * 40 + body[start + 40 :]  # no longer Flate data
    with pytest.raises((BadUpload, UnsupportedFile)):
        pdf.check_pdf(_file(tmp_path, broken))


def test_an_upload_hiding_javascript_in_an_object_stream_is_415(files_client, session, auth):
    world = make_company(session)
    headers = auth(world.engineer)
    hostile = samples.pdf_with_object_stream(HIDDEN["open action with JavaScript"][0])
    refused = upload(files_client, world.request.id, hostile, headers, "act.pdf",
                     "application/pdf")  # fmt: skip
    assert refused.status_code == 415, refused.text
    assert "active content" in refused.json()["error"]["message"]
    honest = upload(files_client, world.request.id, samples.pdf_with_object_stream(), headers,
                    "act.pdf", "application/pdf")  # fmt: skip
    assert honest.status_code == 201, honest.text
    assert honest.json()["content_type"] == "application/pdf"
