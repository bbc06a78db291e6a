"""What a file is, decided by its bytes: sniffing, verification, image cleaning, safe names.

The declared type and the name's extension are never trusted. A file is accepted when its
first bytes match a known signature *and* the matching decoder reads it (Pillow decodes an
image whole; pypdfium2 opens a PDF). Images are then re-encoded without metadata: EXIF (GPS
position, camera make and serial), XMP, comments and anything appended after the image data
(the usual polyglot trick: a ZIP or PDF behind a valid JPEG) are dropped; only the
orientation tag is kept so photos still display upright. PDFs cannot be cleaned that way;
one carrying active content (JavaScript, launch actions, embedded files) is refused
(`oversight.files.pdf`).
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path

from PIL import Image, ImageOps

from oversight.files import office
from oversight.files.errors import BadUpload, UnsupportedFile
from oversight.files.kinds import HEIC, JPEG, PDF, PNG, ZIP, FileType

ORIENTATION_TAG = 0x0112
_HEAD = 64


_HEIC_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")


def heic_supported() -> bool:
    """HEIC photos are accepted only when pillow-heif is installed (it registers the opener)."""
    return importlib.util.find_spec("pillow_heif") is not None


def sniff(head: bytes) -> FileType:
    """The type of a file from its first bytes; UnsupportedFile for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return ZIP  # which document, if any: decided by `sniff_file` from the structure
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS and heic_supported():
        return HEIC
    if not head:
        raise UnsupportedFile("the file is empty")
    raise UnsupportedFile(
        "file type not accepted (by its content): JPEG, PNG, PDF, "
        + ("HEIC, " if heic_supported() else "")
        + office.ACCEPTED
    )


def sniff_file(path: Path) -> FileType:
    """The type of the file at `path`: its first bytes, and for a ZIP container its
    structure (`oversight.files.office`)."""
    with path.open("rb") as stream:
        kind = sniff(stream.read(_HEAD))
    return office.identify(path) if kind is ZIP else kind


def _open_image(path: Path) -> Image.Image:
    if heic_supported():
        import pillow_heif  # type: ignore[import-not-found,unused-ignore]

        pillow_heif.register_heif_opener()
    image = Image.open(path)
    image.load()
    return image


def clean_image(source: Path, target: Path, kind: FileType) -> None:
    """Write `source` to `target` without metadata or trailing bytes (see the module doc).

    BadUpload if the image does not decode. HEIC is stored as JPEG-quality-95 (one format for
    every viewer), so its stored type becomes JPEG; libheif decodes it upright already (its
    orientation tag reads 1 afterwards), so the pixels carry the orientation.
    """
    try:
        with _open_image(source) as image:
            orientation = image.getexif().get(ORIENTATION_TAG)
            exif = Image.Exif()
            if orientation:
                exif[ORIENTATION_TAG] = orientation
            if kind is PNG:
                image.save(target, format="PNG", optimize=False)
            elif kind is JPEG:
                image.save(target, format="JPEG", quality="keep", exif=exif.tobytes())
            else:
                image.convert("RGB").save(target, format="JPEG", quality=95, exif=exif.tobytes())
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise BadUpload(f"the image cannot be read: {type(error).__name__}") from None


def upright(image: Image.Image) -> Image.Image:
    """The image with its EXIF orientation applied (for previews)."""
    return ImageOps.exif_transpose(image)


_UNSAFE = re.compile(r'[\\/:*?"<>|]')
_SPACES = re.compile(r"\s+")
MAX_NAME_BYTES = 200


def safe_filename(raw: str | None, kind: FileType) -> str:
    """A display name safe anywhere: no directories, control or format characters, reserved
    punctuation or leading dots, at most 200 bytes, ending with the extension of the type the
    content has (`invoice.exe` holding a PDF becomes `invoice.exe.pdf`)."""
    text = unicodedata.normalize("NFC", raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text = _SPACES.sub(" ", _UNSAFE.sub("_", text)).strip(" .")
    stem, dot, extension = text.rpartition(".")
    if not dot:
        stem, extension = text, ""
    if extension.lower() not in {kind.extension, *(("jpeg",) if kind is JPEG else ())}:
        stem = text
        extension = kind.extension
    stem = stem or "attachment"
    budget = MAX_NAME_BYTES - len(extension) - 1
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .") or "attachment"
    return f"{stem}.{extension}"
