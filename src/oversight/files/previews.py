"""Preview thumbnails: images resized upright (EXIF orientation applied), PDFs by their first
page (pypdfium2, the PDFium library). A file whose preview fails is marked `unavailable`
with the reason and never blocks anything else. Types without a preview (office documents:
no well-kept library renders them cheaply) are marked `none`, "no preview for this type":
not a failure, not counted nor timed."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.files import content, metrics, repository
from oversight.files.kinds import PREVIEWABLE
from oversight.files.models import Blob, PreviewState, Tier
from oversight.files.store import HotStore
from oversight.observability.logging import get_logger

log = get_logger("oversight.files")
NO_PREVIEW = "no preview for this type"


class PreviewError(Exception):
    """The file's preview cannot be rendered; the message is the reason shown to users."""


def _thumbnail(image: Image.Image, target: Path, max_px: int) -> None:
    image = content.upright(image)
    image.thumbnail((max_px, max_px))
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    partial = target.with_suffix(".partial")
    image.save(partial, format="JPEG", quality=80)
    partial.replace(target)


def render(source: Path, mime: str, target: Path, max_px: int) -> None:
    """Write a JPEG thumbnail of `source` (no side longer than `max_px`) to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if mime.startswith("image/"):
        try:
            with Image.open(source) as image:
                image.load()
                _thumbnail(image, target, max_px)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise PreviewError(f"the image cannot be decoded ({type(error).__name__})") from None
        return
    if mime == "application/pdf":
        import pypdfium2

        try:
            document = pypdfium2.PdfDocument(str(source))
        except pypdfium2.PdfiumError:
            raise PreviewError("the PDF cannot be opened") from None
        try:
            page = document[0]
            scale = max_px / max(page.get_width(), page.get_height(), 1)
            bitmap = page.render(scale=scale)
            _thumbnail(bitmap.to_pil(), target, max_px)
        except pypdfium2.PdfiumError:
            raise PreviewError("the PDF's first page cannot be rendered") from None
        finally:
            document.close()
        return
    raise PreviewError(f"no preview for {mime}")


def render_blob(settings: Settings, blob: Blob) -> None:
    """Render one blob's preview, record the time and the outcome on the row (flush only)."""
    if blob.content_type not in PREVIEWABLE:
        blob.preview_state = PreviewState.none
        blob.preview_reason = NO_PREVIEW
        return
    store = HotStore(settings.files.hot_dir)
    started = time.perf_counter()
    try:
        if blob.tier is not Tier.hot:
            raise PreviewError("the file is in the cold tier")
        render(
            store.blob_path(blob.sha256),
            blob.content_type,
            store.preview_path(blob.sha256),
            settings.files.preview_max_px,
        )
    except PreviewError as error:
        blob.preview_state = PreviewState.unavailable
        blob.preview_reason = str(error)
        metrics.PREVIEW_FAILURES.labels(blob.content_type).inc()
        metrics.PREVIEW_SECONDS.labels("unavailable").observe(time.perf_counter() - started)
        log.warning("preview unavailable", action="file_preview", entity="file_blob",
                    entity_id=blob.id, status="failure", reason=str(error))  # fmt: skip
        return
    blob.preview_state = PreviewState.ready
    blob.preview_reason = None
    metrics.PREVIEW_SECONDS.labels("ready").observe(time.perf_counter() - started)


def render_pending(session: Session, settings: Settings, limit: int = 100) -> int:
    """Render the previews still pending (at most `limit`); returns how many were handled."""
    blobs = repository.pending_previews(session, limit)
    for blob in blobs:
        render_blob(settings, blob)
        session.flush()
    return len(blobs)
