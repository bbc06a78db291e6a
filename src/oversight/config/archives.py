"""Monthly archives of application logs and audit archives: `OVERSIGHT_ARCHIVES__*`.

They are encrypted to the backup recipients and shipped to the backup target
(`OVERSIGHT_BACKUP__RECIPIENTS`, `OVERSIGHT_BACKUP__TARGET`), under `_archives/<set>/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, _Group

SEVEN_YEARS_DAYS = 7 * 366


class ArchivesSettings(_Group):
    """`oversight backup archive` and its monthly job."""

    # Cron line (company time zone) of the monthly run: the 1st, after the nightly backup.
    schedule: str = "30 3 1 * *"
    # Log files to archive (glob patterns). Empty: the rotated files of
    # OVERSIGHT_OBSERVABILITY__LOG_FILE (`<log_file>.*`), when a log file is set.
    log_paths: Annotated[tuple[str, ...], NoDecode, LIST_FROM_TEXT] = ()
    # Logs stay on this server ("hot") this many days after their last write; older ones are
    # shipped, and removed here once the upload is verified.
    logs_hot_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # Shipped log archives are deleted from the storage after this many days.
    logs_keep_days: Annotated[int, Field(ge=1, le=36_600)] = 365
    # Audit archives (`oversight audit archive`, in OVERSIGHT_AUDIT__ARCHIVE_DIR) are shipped
    # once each and kept in the storage this many days (7 years).
    audit_keep_days: Annotated[int, Field(ge=1, le=36_600)] = SEVEN_YEARS_DAYS
    # Where archives are assembled before upload (removed after each run).
    staging_subdir: Path = Path("archives")
