"""Whether a PDF may be stored: it opens in PDFium, has a page, and carries no active content.

Active content (JavaScript, launch actions, embedded files, rich media, open actions) is looked
for by name in two places. The raw bytes, in chunks: every object written plainly is there,
and a name spelled with `#xx` escapes (`/J#61vaScript`) is refused too, since no honest
producer escapes these names. And the object streams (PDF 1.5): dictionaries compressed
inside `/Type /ObjStm` streams (usually FlateDecode) are invisible in the raw bytes, so each
object stream the cross-reference names is decompressed by pypdf and searched the same way.
Other streams (page contents, images, fonts) hold data, not objects, and are not searched.
An encrypted PDF that does not open with the empty password is refused: its object streams
cannot be read, and it could not be previewed anyway.
"""

from __future__ import annotations

import re
from pathlib import Path

from oversight.files.errors import BadUpload, UnsupportedFile

ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|OpenAction)\b|/J#", re.I)
_ACTIVE_REFUSAL = "PDF with active content (JavaScript, launch, embedded files)"
_CHUNK = 1024 * 1024


def _raw_has_active(path: Path) -> bool:
    tail = b""  # the end of the previous chunk, so a name split across chunks is still seen
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if ACTIVE.search(tail + chunk):
                return True
            tail = chunk[-32:]
    return False


def _object_streams_have_active(path: Path) -> bool:
    """True when a compressed object stream holds an active-content name; BadUpload when the
    structure cannot be read (a PDF PDFium would open but pypdf cannot is not trusted)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import IndirectObject, StreamObject

    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFile("password-protected PDF: its content cannot be checked")
        for number in sorted({place[0] for place in reader.xref_objStm.values()}):
            stream = IndirectObject(number, 0, reader).get_object()
            if isinstance(stream, StreamObject) and ACTIVE.search(stream.get_data()):
                return True
    except (PdfReadError, ValueError, KeyError, AssertionError, RecursionError, OSError):
        raise BadUpload("the PDF's object streams cannot be read") from None
    return False


def check_pdf(path: Path) -> None:
    """UnsupportedFile for active content, BadUpload unless PDFium opens it with a page."""
    import pypdfium2

    if _raw_has_active(path) or _object_streams_have_active(path):
        raise UnsupportedFile(_ACTIVE_REFUSAL)
    try:
        document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError:
        raise BadUpload("the PDF cannot be read") from None
    try:
        if len(document) == 0:
            raise BadUpload("the PDF has no pages")
    finally:
        document.close()
