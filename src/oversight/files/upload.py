"""Receiving one multipart upload straight to a spool file, refusing it as it streams.

The body is parsed chunk by chunk as the server hands it over (python-multipart's push
parser): the `file` part's bytes go to disk and are counted; the moment they pass the size
limit the upload stops with 413 and the spool file is removed. Nothing is held in memory
beyond one chunk, and Starlette's form parsing (which would spool the whole body first) is
never used on this route.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from oversight.files.errors import BadUpload, FileTooLarge, NoSpaceForFiles

FIELD = "file"
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True, slots=True)
class Received:
    path: Path
    filename: str | None
    size: int


class _Parts:
    """The parser's callbacks: collect the current part's headers, write the `file` part."""

    def __init__(self, target: BinaryIO, limit: int) -> None:
        self.target = target
        self.limit = limit
        self.size = 0
        self.files = 0
        self.filename: str | None = None
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._writing = False

    def on_part_begin(self) -> None:
        self._headers = {}
        self._writing = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def on_headers_finished(self) -> None:
        kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if kind == b"form-data" and options.get(b"name") == FIELD.encode():
            self.files += 1
            if self.files > 1:
                raise BadUpload("one file per upload: send a single 'file' part")
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None
            self._writing = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._writing:
            return
        self.size += end - start
        if self.size > self.limit:
            raise FileTooLarge(f"file too large (limit {self.limit} bytes)")
        self.target.write(memoryview(data)[start:end])  # no copy of the chunk

    def on_part_end(self) -> None:
        self._writing = False


async def receive_file(request: Request, spool: Path, limit: int) -> Received:
    """Stream the request's `file` part to `spool`; the file is removed on any failure."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadUpload("send the file as multipart/form-data with a 'file' part")
    try:
        with spool.open("wb") as target:
            parts = _Parts(target, limit)
            callbacks = {
                name: getattr(parts, name)
                for name in (
                    "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
                    "on_headers_finished", "on_part_data", "on_part_end",
                )
            }  # fmt: skip
            parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
    except MultipartParseError:
        spool.unlink(missing_ok=True)
        raise BadUpload("the multipart body is malformed") from None
    except OSError as error:
        spool.unlink(missing_ok=True)
        if error.errno in NO_SPACE:
            raise NoSpaceForFiles(
                "no space left on the server to store this file; try again later"
            ) from None
        raise
    except BaseException:
        spool.unlink(missing_ok=True)
        raise
    if parts.files == 0:
        spool.unlink(missing_ok=True)
        raise BadUpload("no 'file' part in the upload")
    return Received(spool, parts.filename, parts.size)
