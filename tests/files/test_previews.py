"""Previews: each type rendered from files the tests generate, orientation applied, the time
recorded in `oversight_preview_seconds`, unpreviewable files marked with the reason."""

from __future__ import annotations

from PIL import Image
from sqlalchemy import select

import files_samples as samples
from companies import make_company
from files_samples import upload
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.files import previews
from oversight.files.models import Blob, PreviewState
from oversight.observability.metrics import REGISTRY


def _blob(session, sha256: str) -> Blob:
    session.info.pop(PRINCIPAL_KEY, None)
    return session.scalars(select(Blob).where(Blob.sha256 == sha256)).one()


def _render(files_client, session, auth, files_settings, body, name, mime) -> Blob:
    world = make_company(session)
    response = upload(files_client, world.request.id, body, auth(world.engineer), name, mime)
    assert response.status_code == 201, response.text
    blob = _blob(session, response.json()["sha256"])
    previews.render_blob(files_settings, blob)
    return blob


def _preview(files_settings, blob: Blob) -> Image.Image:
    path = files_settings.files.hot_dir / "previews" / f"{blob.sha256}.jpg"
    image = Image.open(path)
    image.load()
    return image


def _observations(outcome: str) -> float:
    value = REGISTRY.get_sample_value("oversight_preview_seconds_count", {"outcome": outcome})
    return value or 0.0


def test_a_photo_preview_is_upright_and_small(files_client, session, auth, files_settings):
    before = _observations("ready")
    body = samples.jpeg(1200, 600, orientation=6)  # rotated 90° clockwise when displayed
    blob = _render(files_client, session, auth, files_settings, body, "p.jpg", "image/jpeg")
    assert blob.preview_state is PreviewState.ready
    preview = _preview(files_settings, blob)
    assert preview.format == "JPEG"
    assert preview.size == (256, 512)  # portrait: orientation applied, longest side 512
    top = preview.getpixel((128, 10))
    assert top[2] > 150
    assert top[0] < 100
    assert _observations("ready") == before + 1


def test_a_png_with_transparency_gets_a_white_background(files_client, session, auth,
                                                        files_settings):  # fmt: skip
    blob = _render(files_client, session, auth, files_settings, samples.png(900, 300),
                   "plan.png", "image/png")  # fmt: skip
    preview = _preview(files_settings, blob)
    assert preview.size == (512, 171)
    assert preview.mode == "RGB"


def test_a_pdf_preview_is_its_first_page(files_client, session, auth, files_settings):
    blob = _render(files_client, session, auth, files_settings, samples.pdf(3),
                   "act.pdf", "application/pdf")  # fmt: skip
    assert blob.preview_state is PreviewState.ready
    preview = _preview(files_settings, blob)
    assert max(preview.size) <= 512
    assert preview.size[1] > preview.size[0]


def test_an_unreadable_file_is_marked_with_the_reason(files_client, session, auth,
                                                     files_settings):  # fmt: skip
    failures = (
        REGISTRY.get_sample_value(
            "oversight_preview_failures_total", {"content_type": "application/pdf"}
        )
        or 0.0
    )
    blob = _render(files_client, session, auth, files_settings, samples.pdf(1),
                   "act.pdf", "application/pdf")  # fmt: skip
    (files_settings.files.hot_dir / blob.sha256[:2] / blob.sha256).write_bytes(b"%PDF-1.4 broken")
    blob.preview_state = PreviewState.pending
    previews.render_blob(files_settings, blob)
    assert blob.preview_state is PreviewState.unavailable
    assert blob.preview_reason == "the PDF cannot be opened"
    assert (
        REGISTRY.get_sample_value(
            "oversight_preview_failures_total", {"content_type": "application/pdf"}
        )
        == failures + 1
    )


def test_the_job_renders_every_pending_preview(files_client, session, auth, files_settings):
    world = make_company(session)
    for body, name in ((samples.jpeg(), "a.jpg"), (samples.pdf(), "b.pdf")):
        upload(files_client, world.request.id, body, auth(world.engineer), name)
    session.info.pop(PRINCIPAL_KEY, None)
    previews.render_pending(session, files_settings)
    states = session.scalars(select(Blob.preview_state)).all()
    assert states
    assert all(state is not PreviewState.pending for state in states)
