"""The file types an attachment may have: its MIME type, the extension its name gets, and
whether it is an image (re-encoded without metadata on upload)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileType:
    mime: str
    extension: str
    image: bool


JPEG = FileType("image/jpeg", "jpg", image=True)
PNG = FileType("image/png", "png", image=True)
HEIC = FileType("image/heic", "heic", image=True)
PDF = FileType("application/pdf", "pdf", image=False)
# A ZIP container, before `oversight.files.office` has decided which document it holds.
ZIP = FileType("application/zip", "zip", image=False)

_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
DOCX = FileType(_OOXML + "wordprocessingml.document", "docx", image=False)
XLSX = FileType(_OOXML + "spreadsheetml.sheet", "xlsx", image=False)
ODT = FileType(_ODF + "text", "odt", image=False)
ODS = FileType(_ODF + "spreadsheet", "ods", image=False)
OFFICE = (DOCX, XLSX, ODT, ODS)

# Types a preview is rendered for; every other accepted type is stored without one
# (preview state `none`: "no preview for this type", not a failure).
PREVIEWABLE = frozenset({JPEG.mime, PNG.mime, HEIC.mime, PDF.mime})
