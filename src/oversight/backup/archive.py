"""The archive: one tar stream compressed with zstd, written and read as a stream.

Members, in order: `backup.json` (which backup this is: id, set, engine), the database
(`database/…`, see `dump`), the files directory (`files/…`) and each extra path
(`extra/<n>-<name>/…`). Decrypted, it unpacks with standard tools:
`age -d -i key.txt X.age | zstd -d | tar -x`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import zstandard

from oversight.backup.dump import DatabaseDump, member
from oversight.backup.errors import BackupError

HEADER = "backup.json"
FILES_PREFIX = "files/"
EXTRA_PREFIX = "extra/"
# tarfile's stream mode writes in `bufsize` pieces (10 KiB by default): larger
# pieces cut the Python-level work per byte of a multi-gigabyte dump (profiled: restore).
TAR_BUFFER = 1024 * 1024


class CountingWriter(io.RawIOBase):
    """Passes writes to `target`, counting bytes and hashing them (SHA-256)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.size = 0
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.target.write(view)
        self.digest.update(view)
        self.size += len(view)
        return len(view)

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


class CountingReader(io.RawIOBase):
    """Reads from `source`, counting bytes and hashing them (SHA-256)."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.size = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        readinto = getattr(self.source, "readinto", None)
        if readinto is not None:  # straight into the caller's buffer: no intermediate copy
            count = readinto(view) or 0
        else:
            data = self.source.read(len(view))
            count = len(data)
            view[:count] = data
        self.digest.update(view[:count])
        self.size += count
        return count

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Contents:
    """What went into an archive besides the database."""

    files: int
    file_bytes: int
    extra_paths: list[str]


def write_archive(
    sink: IO[bytes],
    *,
    header: dict[str, Any],
    dump: DatabaseDump,
    files_dir: Path,
    extra_paths: Sequence[Path],
    level: int,
) -> Contents:
    """Write the whole archive (tar, zstd) into `sink`; `sink` is not closed."""
    compressor = zstandard.ZstdCompressor(level=level, threads=0)
    counted = {"files": 0, "bytes": 0}
    with (
        compressor.stream_writer(sink, closefd=False) as compressed,
        tarfile.open(
            fileobj=compressed,
            mode="w|",
            format=tarfile.PAX_FORMAT,
            bufsize=TAR_BUFFER,
        ) as tar,
    ):
        tar.copybufsize = TAR_BUFFER  # type: ignore[attr-defined]  # addfile: 16 KiB pieces by default
        data = json.dumps(header, sort_keys=True).encode()
        tar.addfile(member(HEADER, len(data)), io.BytesIO(data))
        dump.write_into(tar)
        if files_dir.is_dir():
            _add_tree(tar, files_dir, FILES_PREFIX.rstrip("/"), counted)
        for number, path in enumerate(extra_paths):
            if not path.exists():
                raise BackupError(f"extra backup path {path} does not exist")
            _add_tree(tar, path, f"{EXTRA_PREFIX}{number}-{path.name}", counted)
    return Contents(counted["files"], counted["bytes"], [str(path) for path in extra_paths])


def _add_tree(tar: tarfile.TarFile, root: Path, arcname: str, counted: dict[str, int]) -> None:
    def count(info: tarfile.TarInfo) -> tarfile.TarInfo:
        if info.isfile():
            counted["files"] += 1
            counted["bytes"] += info.size
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    tar.add(str(root), arcname=arcname, recursive=True, filter=count)


class MemberReader(io.RawIOBase):
    """One member's content, read straight out of the decompressed stream: `readinto`
    decompresses into the caller's buffer (tarfile's stream mode joins and slices every
    piece it reads: three copies of each byte of a multi-gigabyte dump, profiled: restore).
    An archive that ends inside the member, or does not decompress, is a `BackupError`."""

    def __init__(self, source: Any, size: int) -> None:
        self.source = source
        self.remaining = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.remaining <= 0:
            return 0
        view = memoryview(buffer).cast("B")[: self.remaining]
        try:
            count = int(self.source.readinto(view))
        except zstandard.ZstdError as error:
            raise BackupError(f"the archive is damaged: {error}") from None
        if count == 0:
            raise BackupError("the archive is damaged: it ends inside a member")
        self.remaining -= count
        return count


def read_archive(source: BinaryIO) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    """The archive's members in order, each with a stream of its content (None for
    directories); a member's stream is valid until the next one is taken. Damage in the
    compressed stream or the tar structure is a `BackupError`.

    The decompressed stream is read once, front to back: tarfile's random-access mode on a
    reader that seeks forward only (zstandard's), so a member's content goes from the
    decompressor to its reader without tarfile's stream buffers."""
    decompressor = zstandard.ZstdDecompressor()
    try:
        with (
            decompressor.stream_reader(source, closefd=False) as plain,
            tarfile.open(fileobj=plain, mode="r:") as tar,
        ):
            for info in tar:
                if info.isfile():
                    plain.seek(info.offset_data)
                    yield info, MemberReader(plain, info.size)  # type: ignore[misc]
                else:
                    yield info, None
    except (tarfile.TarError, zstandard.ZstdError, EOFError, ValueError) as error:
        raise BackupError(f"the archive is damaged: {error}") from None


def read_header(data: bytes) -> dict[str, Any]:
    try:
        header = json.loads(data)
    except ValueError:
        raise BackupError("the archive's backup.json is not JSON") from None
    if not isinstance(header, dict):
        raise BackupError("the archive's backup.json is not an object")
    return header
