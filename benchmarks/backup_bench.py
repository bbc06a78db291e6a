"""Backup and restore speed against PostgreSQL's own tools, on a real PostgreSQL started
here (not part of `make test`).

1. `oversight backup run` (dump, zstd, age, staging, upload to a local folder, read back)
   against `pg_dump -Fc > /dev/null` alone, same database, same run.
   Goal: at least 0.8 of pg_dump's throughput; peak RSS of the backup process < 150 MB.
2. `oversight restore` (the whole command: start-up, download, decrypt, decompress and load
   in one pass into `pg_restore --single-transaction` reading a pipe, commit held back until
   every check passed, then row counts, audit chain and migrations checked; with
   --restore-jobs > 1 the dump goes to a scratch file for `pg_restore --jobs`) against
   `pg_restore` alone of a plain `pg_dump -Fc` file into an empty database.
   Goal: at least 0.8 of pg_restore's throughput.

Full size is 1024 MB of rows (the issue's "at least 1 GB"; about 1.4 GB on disk), built with
one INSERT … SELECT over generate_series and used for both comparisons.

Usage: .venv/bin/python benchmarks/backup_bench.py [--size 1024] [--restore-jobs 2]
       [--profile DIR]   (py-spy collapsed stacks of our two runs, and restore's step times)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "support")]

import servers
from common import Row, Scale, absolute_row, print_rows, ratio_row
from oversight.db.migrate import upgrade

BACKUP = """
import resource, sys
from oversight.backup import service
from oversight.backup.database import open_database
from oversight.config import load_settings
from oversight.db.session import session_factory, unit_of_work
settings = load_settings(_env_file=None)
engine = open_database(settings.database.url)
with unit_of_work(session_factory(engine)) as session:
    manifest = service.run(session, settings, prune=False).manifest
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RESULT", manifest.id, manifest.ciphertext_size, rss)
"""


def fill(url: str, megabytes: int) -> None:
    """`megabytes` of rows that compress like real data (text with some repetition)."""
    engine = create_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE ballast (id BIGINT PRIMARY KEY, body TEXT)"))
        connection.execute(text(
            "INSERT INTO ballast SELECT g, repeat(md5(g::text) || ' request note ', 28) "
            "FROM generate_series(1, :rows) g"
        ), {"rows": megabytes * 1024})  # fmt: skip
    engine.dispose()


def settle(url: str, *, drop: str | None = None, vacuum: bool = False) -> None:
    """A quiet server for the next timed run: `drop` the previous run's target (its
    autovacuum and dirty pages would otherwise land on the next run), `vacuum` the source
    table once after the fill, then CHECKPOINT — so neither tool pays for the one before."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if drop is not None:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{drop}"'))
        if vacuum:
            connection.execute(text("VACUUM (ANALYZE) ballast"))
        connection.execute(text("CHECKPOINT"))
    engine.dispose()


def timed(argv: list[str], **kwargs: object) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, check=False, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", "--size", type=int, default=1024, help="MB of rows")
    parser.add_argument("--restore-jobs", type=int, default=1, help="OVERSIGHT_BACKUP__RESTORE_JOBS")
    parser.add_argument(
        "--profile", type=Path, help="record our runs with py-spy (collapsed stacks) into DIR"
    )
    args = parser.parse_args()
    print_rows(rows(Scale(), megabytes=args.megabytes, restore_jobs=args.restore_jobs,
                    profile=args.profile))  # fmt: skip


def rows(
    scale: Scale,
    *,
    megabytes: int | None = None,
    restore_jobs: int = 1,
    profile: Path | None = None,
) -> list[Row]:
    """Backup vs pg_dump, restore vs pg_restore, peak RSS of the backup; `profile`: record
    our runs with py-spy into that folder."""
    megabytes = megabytes or scale.pick(1024, 16)

    def ours(name: str, argv: list[str]) -> list[str]:
        if profile is None:
            return argv
        profile.mkdir(parents=True, exist_ok=True)
        out = profile / f"{name}.txt"
        return [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw", "--threads", "--subprocesses",
                "--output", str(out), "--", *argv]  # fmt: skip

    identity = pyrage.x25519.Identity.generate()
    with servers.postgres_server() as pg, tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        pg.create_database("bench")
        url = pg.url("bench")
        fill(url, megabytes)
        libpq = pg.url("bench", driver="postgresql")
        with create_engine(url).connect() as connection:
            size = connection.execute(text("SELECT pg_database_size('bench')")).scalar_one()
        (work / "identity.txt").write_text(f"{identity}\n")
        env = {
            **os.environ, "PYTHONPATH": str(ROOT / "src"), "OVERSIGHT_ENV": "test",
            "OVERSIGHT_DATABASE__URL": url,
            "OVERSIGHT_BACKUP__RECIPIENTS": f'["{identity.to_public()}"]',
            "OVERSIGHT_BACKUP__TARGET__URL": str(work / "remote"),
            "OVERSIGHT_BACKUP__STAGING_DIR": str(work / "staging"),
            "OVERSIGHT_BACKUP__FILES_DIR": str(work / "files"),
            "OVERSIGHT_BACKUP__SET_NAME": "bench",
            "OVERSIGHT_BACKUP__RESTORE_JOBS": str(restore_jobs),
        }  # fmt: skip
        pg_dump = str(pg.bin("pg_dump"))
        settle(url, vacuum=True)
        dump_s, _ = timed(["sh", "-c", f'"{pg_dump}" -Fc --dbname="{libpq}" > /dev/null'])
        settle(url)
        backup_s, done = timed(ours("backup", [sys.executable, "-c", BACKUP]), env=env)
        result = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
        backup_id, object_size, rss_kib = result.split()[1:]
        subprocess.run(["sh", "-c", f'"{pg_dump}" -Fc --dbname="{libpq}" > {work}/plain.dump'],
                       check=True)  # fmt: skip
        pg.create_database("plain_target")
        pg.create_database("ours_target")
        settle(url)
        restore_s, _ = timed([str(pg.bin("pg_restore")), "--no-owner",
                              f"--dbname={pg.url('plain_target', driver='postgresql')}",
                              str(work / "plain.dump")])  # fmt: skip
        settle(url, drop="plain_target")
        ours_s, restored = timed(ours("restore", [
            sys.executable, "-c", "from oversight.cli import main; main()", "restore", backup_id,
            "--identity", str(work / "identity.txt"), "--database", pg.url("ours_target"),
        ]), env=env)  # fmt: skip
        mb = size / 1e6
        if profile is not None:
            print("\n".join(line for line in (restored.stdout + restored.stderr).splitlines()
                            if "restore_step" in line))  # fmt: skip
        note = f"database {mb:,.0f} MB, object {int(object_size) / 1e6:,.0f} MB"
        return [
            ratio_row("backup run vs pg_dump -Fc", mb / backup_s, mb / dump_s, "MB/s",
                      at_least=0.8, note=note),
            absolute_row("backup run: peak RSS", int(rss_kib) / 1024, "MiB", at_most=150),
            ratio_row("restore vs pg_restore", mb / ours_s, mb / restore_s, "MB/s",
                      at_least=0.8, note=note),
        ]  # fmt: skip


if __name__ == "__main__":
    main()
