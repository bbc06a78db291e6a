"""Multiprocess metrics for `oversight serve --workers N`.

Must run in the parent before uvicorn spawns its workers: prometheus_client chooses between
in-memory and file-backed values when it is first imported, from `PROMETHEUS_MULTIPROC_DIR`,
and spawned workers inherit the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from oversight.config import ObservabilitySettings
from oversight.observability.metrics import MULTIPROC_ENV, reset_multiprocess_dir


def prepare_worker_metrics(settings: ObservabilitySettings) -> Path:
    """Empty the multiprocess directory and point the workers at it."""
    directory = Path(os.environ.get(MULTIPROC_ENV) or settings.multiprocess_dir).resolve()
    reset_multiprocess_dir(directory)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory
