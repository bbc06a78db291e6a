"""`oversight backup …` and `oversight restore` as a person uses them: readable output, one
line and a non-zero exit for every user error, never a traceback."""

from __future__ import annotations

import re

from sqlalchemy import text
from typer.testing import CliRunner

from oversight.cli import app
from oversight.config import get_settings
from oversight.jobs.registry import collect_jobs

from .conftest import World

runner = CliRunner()


def invoke(*args: str):
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


def backup_ids(world: World) -> list[str]:
    result = invoke("backup", "list", "--ids")
    assert result.exit_code == 0, result.output
    return result.output.split()


def test_run_list_verify_and_prune_dry_run(world, monkeypatch):
    for _ in range(2):
        result = invoke("backup", "run", "--no-prune")
        assert result.exit_code == 0, result.output
        assert re.search(r"backup \d{8}T\d{6}Z-[0-9a-f]{6}: [\d,]+ bytes, 4 files", result.output)
    ids = backup_ids(world)
    assert len(ids) == 2
    verified = invoke("backup", "verify", ids[-1], "--identity", str(world.identity_file))
    assert verified.exit_code == 0
    assert f"backup {ids[-1]}: ok" in verified.output
    monkeypatch.setenv("OVERSIGHT_BACKUP__KEEP_DAILY", "1")
    monkeypatch.setenv("OVERSIGHT_BACKUP__KEEP_WEEKLY", "0")
    monkeypatch.setenv("OVERSIGHT_BACKUP__KEEP_MONTHLY", "0")
    plan = invoke("backup", "prune", "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert f"keep   {ids[-1]}  daily " in plan.output
    assert f"would remove {ids[0]}  no rule keeps it" in plan.output
    assert backup_ids(world) == ids


def test_user_errors_are_one_line_with_a_non_zero_exit(world, tmp_path):
    invoke("backup", "run")
    (backup_id,) = backup_ids(world)
    cases = [
        (("backup", "verify", backup_id, "--identity", str(tmp_path / "nope.txt")),
         "error: cannot read the identity file"),
        (("backup", "verify", "20200101T000000Z-abcdef", "--identity", str(world.identity_file)),
         "error: backup 20200101T000000Z-abcdef: file_missing: no backup 20200101T000000Z-abcdef"),
        (("backup", "verify", "not-an-id", "--identity", str(world.identity_file)),
         "error: backup not-an-id: other_error: not a backup id: 'not-an-id'"),
        (("restore", backup_id, "--identity", str(world.identity_file), "--database",
          world.settings.database.url), "error: restore target is not empty (the database has "
         "tables); use --force to replace it"),
        (("restore", backup_id, "--identity", str(world.identity_file), "--database", "nonsense"),
         "error: --database:"),
    ]  # fmt: skip
    for args, expected in cases:
        result = invoke(*args)
        assert result.exit_code != 0, args
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.output
        assert errors[0].startswith(expected), result.output
        assert "Traceback" not in result.output
    with world.engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM audit_events")).scalars().all()
    assert "backup.restore_failed" in actions


def test_the_jobs_are_registered_from_the_settings(world):
    jobs = {job.name: job for job in collect_jobs(world.settings)}
    assert jobs["backup_run"].cron == "30 1 * * *"
    assert "backup_monitor" in jobs
    assert "backup_drill" not in jobs  # only where the drill identity is (never the server)
    drill_host = world.settings.model_copy(update={"backup": world.settings.backup.model_copy(
        update={"drill_identity_file": world.identity_file})})  # fmt: skip
    assert collect_jobs(drill_host).get("backup_drill").cron == "0 4 * * 0"  # type: ignore[union-attr]


def test_the_backup_job_runs_through_the_job_runner(world):
    from oversight.db.session import session_factory
    from oversight.jobs.runner import run_job

    job = collect_jobs(world.settings).get("backup_run")
    assert job is not None
    assert run_job(job, session_factory(world.engine)) is True
    assert len(backup_ids(world)) == 1
