"""Plain office documents: DOCX and XLSX (Office Open XML), ODT and ODS (OpenDocument).

All four are ZIP containers, recognised by their structure rather than by their name:
OOXML by `[Content_Types].xml` naming the main part of a Word document or an Excel workbook
(and that part being present); OpenDocument by its first entry, `mimetype`, stored
uncompressed and holding the document's type, next to `content.xml`. Refused, each with its
reason: macro-enabled documents (a `vbaProject.bin`, a macro-enabled main part, ActiveX
controls, OpenDocument `Basic/` or `Scripts/` folders), any other ZIP archive, a container
with bytes after its end record (a polyglot), and one that would expand to far more than it
weighs (a ZIP bomb). Only the directory and one small entry are read; nothing is extracted.
Office files are stored as uploaded (they cannot be cleaned like images) and get no preview.
Password-protected OOXML files are not ZIP containers (they are OLE2, like .doc and .xls)
and are refused by the type sniffing.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from oversight.files.errors import BadUpload, UnsupportedFile
from oversight.files.kinds import DOCX, ODS, ODT, XLSX, FileType

MAX_ENTRIES = 10_000
MAX_EXPANDED = 1024 * 1024 * 1024  # bytes, all entries together
MAX_RATIO = 200  # expanded / stored, all entries together, once past RATIO_FROM bytes
RATIO_FROM = 64 * 1024 * 1024
MAX_MANIFEST = 256 * 1024  # bytes of [Content_Types].xml or mimetype read

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_ODF_TYPES = {ODT.mime: ODT, ODS.mime: ODS}
_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_END_RECORD = b"PK\x05\x06"
_END_SIZE = 22
ACCEPTED = "DOCX, XLSX, ODT or ODS"
MACROS = "macro-enabled office documents are not accepted (save it without macros)"


def _check_end(path: Path) -> None:
    """The ZIP end record (and its comment) must end the file: nothing hides behind it."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(max(0, size - _END_SIZE - 65_535))
        tail = stream.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_SIZE:
        raise BadUpload("the office document is not a readable ZIP container")
    (comment,) = struct.unpack("<H", tail[at + 20 : at + 22])
    if at + _END_SIZE + comment != len(tail):
        raise UnsupportedFile("an office document with data after its end is not accepted")


def _has_macros(names: list[str]) -> bool:
    for name in names:
        lowered = name.lower()
        base = PurePosixPath(lowered).name
        if base in ("vbaproject.bin", "vbadata.xml") or "/activex/" in f"/{lowered}":
            return True
        if lowered.startswith(("basic/", "scripts/")):
            return True
    return False


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MANIFEST:
        raise UnsupportedFile(f"{info.filename} is too large for an office document")
    return archive.read(info)


def _ooxml(archive: zipfile.ZipFile, names: set[str]) -> FileType:
    text = _read_small(archive, archive.getinfo("[Content_Types].xml"))
    try:
        root = fromstring(text, forbid_dtd=True)
    except DefusedXmlException:
        raise UnsupportedFile("an office document declaring XML entities is not accepted") from None
    except ParseError:
        raise BadUpload("the office document's [Content_Types].xml is malformed") from None
    found: FileType | None = None
    for override in root.iter(f"{_TYPES_NS}Override"):
        declared = override.get("ContentType", "")
        if "macroenabled" in declared.lower() or "vbaproject" in declared.lower():
            raise UnsupportedFile(MACROS)
        kind = _OOXML_MAIN.get(declared)
        if kind is not None:
            part = override.get("PartName", "").lstrip("/")
            if part not in names:
                raise BadUpload(f"the office document's main part {part[:80]} is missing")
            found = kind
    if found is None:
        raise UnsupportedFile(f"office type not accepted (by its content): {ACCEPTED}")
    return found


def _odf(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], names: set[str]) -> FileType:
    first = infos[0]
    if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
        raise BadUpload("the OpenDocument file does not start with its mimetype entry")
    declared = _read_small(archive, first).decode("ascii", "replace").strip()
    kind = _ODF_TYPES.get(declared)
    if kind is None:
        raise UnsupportedFile(f"office type not accepted (by its content): {ACCEPTED}")
    if "content.xml" not in names:
        raise BadUpload("the OpenDocument file has no content.xml")
    return kind


def identify(path: Path) -> FileType:
    """The office type of the ZIP container at `path`; UnsupportedFile or BadUpload (with
    the reason) for anything that is not a plain DOCX, XLSX, ODT or ODS document."""
    _check_end(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if not infos or len(infos) > MAX_ENTRIES:
                raise UnsupportedFile("a ZIP archive that is not an office document")
            stored = sum(info.compress_size for info in infos)
            expanded = sum(info.file_size for info in infos)
            if expanded > MAX_EXPANDED or (
                expanded > RATIO_FROM and expanded > MAX_RATIO * max(stored, 1)
            ):
                raise UnsupportedFile("the office document expands too much (a ZIP bomb?)")
            names = [info.filename for info in infos]
            if _has_macros(names):
                raise UnsupportedFile(MACROS)
            if "mimetype" in names:
                return _odf(archive, infos, set(names))
            if "[Content_Types].xml" in names:
                return _ooxml(archive, set(names))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError):
        raise BadUpload("the office document is not a readable ZIP container") from None
    except RuntimeError:  # an encrypted entry
        raise UnsupportedFile("password-protected office documents are not accepted") from None
    raise UnsupportedFile(f"a ZIP archive is not accepted, only office documents: {ACCEPTED}")
