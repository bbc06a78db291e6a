"""The disaster-recovery runbook in OPERATIONS.md, executed literally: a new server with an
empty database fetches, verifies and restores the newest backup, reattaches the files,
migrates and verifies the audit chain."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from oversight.backup import service
from oversight.backup.database import open_database

from .conftest import PAYLOAD_SIZES, World
from .test_crash import SRC

OPERATIONS = Path(__file__).resolve().parents[2] / "OPERATIONS.md"


def runbook_commands() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", OPERATIONS.read_text(), flags=re.S)
    (block,) = [b for b in blocks if b.startswith("# dr-runbook")]
    return block


def test_the_disaster_recovery_runbook_restores_a_new_server(
    world: World, backend, database_url_factory, tmp_path
):
    with world.session() as session:
        manifest = service.run(session, world.settings).manifest
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "oversight"
    wrapper.write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "from oversight.cli import main; main()" "$@"\n'
    )
    wrapper.chmod(0o755)
    new_database = database_url_factory(backend)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PYTHONPATH": str(SRC),
        "IDENTITY": str(world.identity_file),
        "NEW_DATABASE_URL": new_database,
        "FILES_DIR": str(tmp_path / "new-server" / "files"),
        # The new server: its own (empty) database, the old server's backup set.
        "OVERSIGHT_DATABASE__URL": new_database,
        "OVERSIGHT_BACKUP__SET_NAME": manifest.set,
    }
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", runbook_commands()], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"restored {manifest.id}" in done.stdout
    assert "OK:" in done.stdout  # oversight audit verify
    engine = open_database(new_database)
    with engine.connect() as connection:
        requests = connection.execute(text("SELECT count(*) FROM service_requests")).scalar()
    engine.dispose()
    assert requests == manifest.row_counts["service_requests"]
    for size in PAYLOAD_SIZES:
        restored = tmp_path / "new-server" / "files" / "photos" / f"p{size}.bin"
        assert restored.read_bytes() == (world.files_dir / "photos" / f"p{size}.bin").read_bytes()
