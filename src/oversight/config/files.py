"""Attachments on requests: `OVERSIGHT_FILES__*` (limits, the hot folder, links, the cold tier).

The cold tier is a `StorageTarget` (`OVERSIGHT_FILES__COLD__URL`, `…__COLD__ENDPOINT_URL`,
`…__COLD__ACCESS_KEY_ID`, …); without it files stay in the hot folder for good.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from oversight.config.base import _Group
from oversight.config.storage import MIB, StorageTarget


class FilesSettings(_Group):
    """Uploads, previews, signed download links and the hot/cold mover."""

    # Hot tier: the local folder that receives uploads (content-addressed: `ab/abcdef…`).
    hot_dir: Path = Path("var/files")
    # One file's size limit, enforced while the upload streams (413 past it).
    max_size_bytes: Annotated[int, Field(ge=1, le=2048 * MIB)] = 50 * MIB
    # Attachments (not deleted) one request may hold.
    max_per_request: Annotated[int, Field(ge=1, le=10_000)] = 100
    # Signed download links live this long.
    link_ttl_seconds: Annotated[int, Field(ge=10, le=7 * 86_400)] = 600
    # Longest side of a preview thumbnail, in pixels.
    preview_max_px: Annotated[int, Field(ge=32, le=4096)] = 512
    # The cold tier; None keeps every file hot.
    cold: StorageTarget | None = None
    # Files older than this many days move to the cold tier.
    hot_days: Annotated[int, Field(ge=0, le=3650)] = 30
    # Files one mover run handles at most.
    mover_batch: Annotated[int, Field(ge=1, le=100_000)] = 200
    # A failed move is retried after base x 2^(failures-1) seconds, capped at a day.
    mover_backoff_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    mover_every_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
