"""Streaming end to end (BACKUPS.md 20): the peak RSS of a backup run does not grow with the
size of the database. Measured in a fresh process per run, on 8 MB and 64 MB of
incompressible data."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from .test_crash import SRC

MB = 1024 * 1024
SCRIPT = """
import resource
from oversight.backup import service
from oversight.backup.database import open_database
from oversight.config import load_settings
from oversight.db.session import session_factory, unit_of_work
settings = load_settings(_env_file=None)
engine = open_database(settings.database.url)
with unit_of_work(session_factory(engine)) as session:
    manifest = service.run(session, settings, prune=False).manifest
print(manifest.ciphertext_size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def grow(engine, megabytes: int) -> None:
    blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS ballast (id INTEGER PRIMARY KEY, data {blob})")
        )
    for n in range(megabytes):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO ballast (id, data) VALUES (:id, :data)"),
                {"id": n + 1_000_000 * megabytes, "data": os.urandom(MB)},
            )


def peak_rss_kib() -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         check=True, timeout=600).stdout.split()  # fmt: skip
    return int(out[-2]), int(out[-1])


def test_peak_memory_does_not_grow_with_the_database(world):
    grow(world.engine, 8)
    small_size, small_rss = peak_rss_kib()
    grow(world.engine, 56)
    large_size, large_rss = peak_rss_kib()
    assert large_size > small_size + 50 * MB
    # 56 MB more data; allow 16 MB of noise (allocator, a dump part of 8 MB).
    assert large_rss - small_rss < 16 * 1024, (small_rss, large_rss)
    print(f"peak RSS: {small_rss / 1024:.0f} MiB at {small_size / MB:.0f} MB, "
          f"{large_rss / 1024:.0f} MiB at {large_size / MB:.0f} MB")  # fmt: skip
