"""Checkpoints: the chain's position and hash at a moment, published where the database
cannot rewrite them, so that a rewrite of history that recomputes every later hash (and moves
the head) is still detected: the rewritten chain no longer passes through them.

A checkpoint is one JSON line `{"position": N, "hash": "<64 hex>", "at": "<ISO 8601 UTC>"}`.
Where they go is a list of publishers: the append-only local file
(`OVERSIGHT_AUDIT__CHECKPOINT_FILE`) today; an admin message or the backup manifest add a
publisher of their own (`CheckpointPublisher`), or call `current_checkpoint`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from oversight.audit.chain import ChainHead
from oversight.config import Settings

_HASH = re.compile(r"^[0-9a-f]{64}$")


class CheckpointError(Exception):
    """A checkpoint (file line or command-line value) that cannot be read."""


class CheckpointLocationError(CheckpointError):
    """The checkpoint file is configured where it anchors nothing."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain held `hash` at `position` at time `at` (UTC)."""

    position: int
    hash: str
    at: datetime | None = None

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.position, self.hash)

    def as_json(self) -> dict[str, Any]:
        at = None if self.at is None else self.at.astimezone(UTC).isoformat()
        return {"position": self.position, "hash": self.hash, "at": at}

    def line(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":")) + "\n"


def parse(data: Any, where: str) -> Checkpoint:
    """A checkpoint from its JSON form; CheckpointError naming `where` if it is not one."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{where}: not a checkpoint object")
    position, digest, at = data.get("position"), data.get("hash"), data.get("at")
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise CheckpointError(f"{where}: position must be a positive integer")
    if not isinstance(digest, str) or not _HASH.match(digest):
        raise CheckpointError(f"{where}: hash must be 64 lower-case hex digits")
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise CheckpointError(f"{where}: at must be an ISO 8601 time with an offset")
    return Checkpoint(position, digest, when)


def parse_expected_head(value: str) -> tuple[int | None, str]:
    """`--expect-head` as `HASH` or `POSITION:HASH` (what `audit head` prints, `N HASH`,
    with a colon or a space)."""
    position_text, _, digest = value.strip().replace(" ", ":").rpartition(":")
    digest = digest.lower()
    if not _HASH.match(digest):
        raise CheckpointError(f"--expect-head {value!r}: expected HASH or POSITION:HASH")
    if not position_text:
        return None, digest
    if not position_text.isdigit() or int(position_text) < 1:
        raise CheckpointError(f"--expect-head {value!r}: the position must be a positive integer")
    return int(position_text), digest


def read_file(path: Path) -> list[Checkpoint]:
    """Every checkpoint in a checkpoint file, in file order; none if it does not exist."""
    if not path.exists():
        return []
    found = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                raise CheckpointError(f"{path}:{number}: not a JSON line") from None
            found.append(parse(data, f"{path}:{number}"))
    return found


class CheckpointPublisher(Protocol):
    """Somewhere a checkpoint goes that the database cannot rewrite."""

    name: str

    def publish(self, checkpoint: Checkpoint) -> None: ...


class FileCheckpoints:
    """The local checkpoint file, only ever appended to (O_APPEND, fsynced). Make it
    append-only for the service user too (`chattr +a`) and keep it off the database's disk."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def publish(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, checkpoint.line().encode("ascii"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[Checkpoint]:
        return read_file(self.path)


def checkpoint_file(settings: Settings) -> FileCheckpoints | None:
    """The configured checkpoint file, or None when it is switched off.

    Refused (CheckpointLocationError) inside the folder of a SQLite database: a file that is copied,
    restored or deleted together with the database anchors nothing.
    """
    path = settings.audit.checkpoint_file
    if path is None:
        return None
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database_dir = Path(url.database).resolve().parent
        if path.resolve().parent == database_dir:
            raise CheckpointLocationError(
                f"OVERSIGHT_AUDIT__CHECKPOINT_FILE {path} is in the database's folder "
                f"{database_dir}; put it where the database cannot be rewritten with it"
            )
    return FileCheckpoints(path)


def publishers(settings: Settings) -> list[CheckpointPublisher]:
    """Every place a new checkpoint is published to. A new channel (an admin message, say)
    adds its publisher here."""
    found: list[CheckpointPublisher] = []
    file = checkpoint_file(settings)
    if file is not None:
        found.append(file)
    return found
