"""Backup, list, verify and restore on both engines: what went in comes back, checked."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from oversight.backup import service
from oversight.backup.database import open_database
from oversight.backup.errors import RestoreRefused
from oversight.backup.manifest import catalogue, find
from oversight.backup.snapshot import row_counts
from oversight.backup.verify import Outcome

from .conftest import PAYLOAD_SIZES, World


def backup(world: World):
    with world.session() as session:
        return service.run(session, world.settings).manifest


def target_url(world: World, backend: str, database_url_factory) -> str:
    return database_url_factory(backend)


def test_a_backup_lists_verifies_and_restores_with_its_files(world, backend, database_url_factory):
    manifest = backup(world)
    entries = catalogue(world.storage, manifest.set)
    assert [e.id for e in entries if e.verified] == [manifest.id]
    assert manifest.engine == backend
    assert manifest.row_counts["service_requests"] == 3
    assert manifest.audit_last_id > 0
    assert len(manifest.audit_head_hash) == 64
    assert manifest.files == len(PAYLOAD_SIZES)
    report = service.verify(None, world.settings, world.engine, manifest.id, world.identities())
    assert report.outcome is Outcome.ok

    target = open_database(database_url_factory(backend))
    files = world.root / "restored-files"
    restored = service.restore_backup(
        settings=world.settings, manifest=manifest, storage=world.storage,
        identities=world.identities(), target=target, files_dir=files, force=False,
    )  # fmt: skip
    assert restored.rows == sum(manifest.row_counts.values())
    assert restored.audit_events == manifest.audit_last_id
    for size in PAYLOAD_SIZES:
        original = (world.files_dir / "photos" / f"p{size}.bin").read_bytes()
        copy = (files / "photos" / f"p{size}.bin").read_bytes()
        assert len(copy) == size
        assert hashlib.sha256(copy).digest() == hashlib.sha256(original).digest()
    with target.connect() as connection:
        counts = row_counts(connection)
        event = connection.execute(text(
            "SELECT action FROM audit_events ORDER BY id DESC LIMIT 1"
        )).scalar()  # fmt: skip
    # The restore itself is the one audited event added after the checks.
    assert counts["audit_events"] == manifest.row_counts["audit_events"] + 1
    assert event == "backup.restored"
    target.dispose()


def test_restore_refuses_a_database_that_has_tables_unless_forced(
    world, backend, database_url_factory
):
    manifest = backup(world)
    # The source database itself is not empty.
    with pytest.raises(RestoreRefused, match="not empty"):
        service.restore_backup(
            settings=world.settings, manifest=manifest, storage=world.storage,
            identities=world.identities(), target=world.engine, files_dir=None, force=False,
        )  # fmt: skip
    with world.engine.begin() as connection:
        connection.execute(text("DELETE FROM work_logs"))
    report = service.restore_backup(
        settings=world.settings, manifest=manifest, storage=world.storage,
        identities=world.identities(), target=world.engine, files_dir=None, force=True,
    )  # fmt: skip
    assert report.replaced
    with world.engine.connect() as connection:
        assert row_counts(connection)["service_requests"] == 3


def test_the_run_is_audited_and_exported(world):
    from oversight.observability.metrics import REGISTRY

    manifest = backup(world)
    assert REGISTRY.get_sample_value("oversight_backup_last_success_timestamp_seconds") == \
        manifest.created_at.timestamp()  # fmt: skip
    assert REGISTRY.get_sample_value("oversight_backup_size_bytes") == manifest.ciphertext_size
    with world.engine.connect() as connection:
        actions = connection.execute(text(
            "SELECT action, entity_id FROM audit_events WHERE action LIKE 'backup.%'"
        )).all()  # fmt: skip
    assert ("backup.completed", manifest.id) in [tuple(row) for row in actions]


def test_find_refuses_an_unknown_id(world):
    manifest = backup(world)
    with pytest.raises(Exception, match="no backup 20200101T000000Z-abcdef"):
        find(world.storage, manifest.set, "20200101T000000Z-abcdef")


def test_a_backup_of_an_older_schema_is_migrated_forward_after_its_checks(
    world, backend, database_url_factory
):
    from oversight.db import migrate as db_migrate

    db_migrate.downgrade(world.engine, "0006")
    manifest = backup(world)
    assert manifest.alembic_revision == "0006"
    target = open_database(database_url_factory(backend))
    report = service.restore_backup(
        settings=world.settings, manifest=manifest, storage=world.storage,
        identities=world.identities(), target=target, files_dir=None, force=False,
    )  # fmt: skip
    assert report.migrated_from == "0006"
    assert report.migrated_to == db_migrate.current_revision(target)
    assert report.migrated_to != "0006"
    target.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_parallel_restore_decrypts_once_and_leaves_no_plaintext_behind(
    world, backend, database_url_factory
):
    manifest = backup(world)
    settings = world.settings.model_copy(
        update={"backup": world.settings.backup.model_copy(update={"restore_jobs": 2})}
    )
    target = open_database(database_url_factory(backend))
    restored = service.restore_backup(
        settings=settings, manifest=manifest, storage=world.storage,
        identities=world.identities(), target=target, files_dir=None, force=False,
    )  # fmt: skip
    assert restored.rows == sum(manifest.row_counts.values())
    assert restored.audit_events == manifest.audit_last_id
    # The decrypted dump lived in a scratch folder under staging, removed afterwards.
    assert [p.name for p in settings.backup.staging_dir.rglob("*") if p.is_file()] in (
        [],
        [".backup.lock"],
    )
    target.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_check_failing_after_the_whole_dump_was_streamed_leaves_the_target_empty(
    world, backend, database_url_factory, monkeypatch
):
    """One pass loads while it verifies: the last bytes are held back until every check has
    passed, so a failure at the very end — here the last check, failing after pg_restore has
    had ample time to load all it was given — still commits nothing."""
    import time

    from sqlalchemy import inspect

    from oversight.backup import verify
    from oversight.backup.restore import restore

    def late_failure(self):
        time.sleep(2)
        raise verify.VerifyFailed(verify.Outcome.other_error, "the last check failed")

    manifest = backup(world)
    monkeypatch.setattr(verify.StructureVisitor, "finish", late_failure)
    target = open_database(database_url_factory(backend))
    with pytest.raises(verify.VerifyFailed, match="the last check failed"):
        restore(
            storage=world.storage, manifest=manifest, identities=world.identities(),
            engine=target, files_dir=None, force=False, scratch_root=world.root / "scratch",
            bin_dir=None,
        )  # fmt: skip
    with target.connect() as connection:
        assert inspect(connection).get_table_names() == []
    target.dispose()


def test_the_held_back_sink_passes_everything_but_its_tail_until_released():
    import io

    from oversight.backup.streaming import HeldBackSink

    out = io.BytesIO()
    sink = HeldBackSink(out, keep=4)
    for piece in (b"ab", b"cdefg", b"", b"hij"):
        sink.write(piece)
    assert out.getvalue() == b"abcdef"
    sink.release()
    assert out.getvalue() == b"abcdefghij"
