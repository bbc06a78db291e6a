"""Real files generated for the files tests: photos with EXIF (GPS, camera, orientation),
PNGs, PDFs, and the hostile ones (a renamed executable, polyglots, an active PDF)."""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any

from PIL import Image

LIMIT = 1_500_000  # above the API's 1 MiB body limit: the upload route's own limit applies
PER_REQUEST = 4
GPS_TAG = 0x8825
MAKE_TAG = 0x010F
MODEL_TAG = 0x0110
ORIENTATION_TAG = 0x0112


def jpeg(width: int = 64, height: int = 32, *, orientation: int | None = None) -> bytes:
    """A JPEG with camera make/model and a GPS position (and an orientation, if given)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(width // 2):  # the left half blue: orientation is visible in pixels
        for y in range(height):
            image.putpixel((x, y), (20, 20, 220))
    exif = Image.Exif()
    exif[MAKE_TAG] = "PhoneMaker"
    exif[MODEL_TAG] = "Model X-42 serial 123456"
    exif[GPS_TAG] = {1: "N", 2: (55.0, 45.0, 21.0), 3: "E", 4: (37.0, 37.0, 4.0)}
    if orientation is not None:
        exif[ORIENTATION_TAG] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def heic(orientation: int = 6) -> bytes:
    """An HEIC photo (as iPhones take them) with camera, GPS and orientation EXIF."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = Image.new("RGB", (64, 32), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE_TAG] = "PhoneMaker"
    exif[GPS_TAG] = {1: "N", 2: (55.0, 45.0, 21.0), 3: "E", 4: (37.0, 37.0, 4.0)}
    exif[ORIENTATION_TAG] = orientation
    out = io.BytesIO()
    image.save(out, format="HEIF", exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 40, height: int = 40, *, alpha: bool = True, noise: bool = False) -> bytes:
    mode = "RGBA" if alpha else "RGB"
    image = Image.new(mode, (width, height), (10, 200, 10, 128) if alpha else (10, 200, 10))
    if noise:
        rng = random.Random(width * height)
        image = Image.frombytes(mode, (width, height), rng.randbytes(width * height * len(mode)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def pdf(pages: int = 2) -> bytes:
    """A real PDF (Pillow writes one page per image)."""
    images = [Image.new("RGB", (200, 280), (255, 255, 255 - 40 * i)) for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def executable() -> bytes:
    """The start of a Windows PE executable."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" * 8


def zip_payload() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.js", "alert(document.cookie)")
    return out.getvalue()


def active_pdf() -> bytes:
    """A PDF that runs JavaScript when opened."""
    body = pdf(1)
    return body.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 1
    )


def padded_png(total: int) -> bytes:
    """A valid PNG followed by filler so that it is exactly `total` bytes long."""
    body = png(300, 300, alpha=False, noise=True)
    assert len(body) <= total
    return body + b"\x00" * (total - len(body))


def upload(client: Any, request_id: int, body: bytes, headers: dict[str, str],
           name: str = "photo.jpg", mime: str = "image/jpeg") -> Any:  # fmt: skip
    """POST one file to the request's attachments as a browser or curl would."""
    return client.post(
        f"/api/v1/requests/{request_id}/attachments",
        files={"file": (name, body, mime)},
        headers=headers,
    )


def make_attachment(session: Any, **fields: Any) -> Any:
    """An attachment row (and its blob row) without a file on disk: for permission and scope
    tests that never read the content."""
    from oversight.files.models import Attachment, Blob

    sha = hashlib.sha256(random.randbytes(32)).hexdigest()
    blob = Blob(sha256=sha, size=10, content_type="image/png")
    session.add(blob)
    session.flush()
    values: dict[str, Any] = {"blob_id": blob.id, "filename": "photo.png",
                              "content_type": "image/png", "size": 10, "sha256": sha}  # fmt: skip
    attachment = Attachment(**(values | fields))
    session.add(attachment)
    session.flush()
    return attachment


def pdf_with_object_stream(catalog_extra: bytes = b"", page_extra: bytes = b"") -> bytes:
    """A PDF 1.5 whose catalog, page tree and page live compressed (FlateDecode) in an object
    stream, indexed by a cross-reference stream: nothing but the stream's header is readable
    in the raw bytes. `catalog_extra` / `page_extra` go inside those dictionaries."""
    import zlib

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + page_extra + b" >>",
    ]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (n + 1, off) for n, off in enumerate(offsets)) + b"\n"
    packed = zlib.compress(header + body)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
    )
    out += packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [(0, 0, 0xFFFF)] + [(2, 4, i) for i in range(3)] + [(1, stream_at, 0), (1, xref_at, 0)]
    table = b"".join(
        kind.to_bytes(1, "big") + field.to_bytes(4, "big") + extra.to_bytes(2, "big")
        for kind, field, extra in rows
    )
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(
        table
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


_OOXML_MAIN = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}  # fmt: skip


def ooxml(kind: str = "docx", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML package: content types, package relationships, main part."""
    import zipfile

    part, content_type = _OOXML_MAIN[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        f'Target="{part}"/></Relationships>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr(part, "<document>Act of completion, request 42</document>" * 20)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def odf(kind: str = "text", extra: dict[str, bytes] | None = None,
        *, mimetype_first: bool = True) -> bytes:  # fmt: skip
    """A minimal OpenDocument file: `mimetype` first and stored, manifest, content."""
    import zipfile

    mime = f"application/vnd.oasis.opendocument.{kind}"
    entries = {
        "content.xml": b"<office:document-content>Estimate</office:document-content>" * 20,
        "META-INF/manifest.xml": b"<manifest:manifest/>",
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype_first:
            archive.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            archive.writestr(name, data)
        if not mimetype_first:
            archive.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()
