"""The verifier tested by corruption (BACKUPS.md 17, 18, 29): each damage gives its expected
result, and a restore from a damaged backup changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from oversight.backup import service
from oversight.backup.database import open_database
from oversight.backup.errors import BackupError
from oversight.backup.manifest import catalogue, find, manifest_name, object_name
from oversight.backup.verify import Outcome

from .conftest import World, write_identity


def two_backups(world: World):
    with world.session() as session:
        first = service.run(session, world.settings, prune=False).manifest
    with world.session() as session:
        second = service.run(session, world.settings, prune=False).manifest
    return first, second


def flip(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def assert_restore_changes_nothing(world: World, backend: str, database_url_factory, backup_id: str,
                                   identity=None) -> str:  # fmt: skip
    url = database_url_factory(backend)
    target = open_database(url)
    files = world.root / "restore-target"

    def restore() -> None:
        manifest = find(world.storage, _set(world), backup_id)
        service.restore_backup(
            settings=world.settings, manifest=manifest, storage=world.storage,
            identities=identity or world.identities(), target=target, files_dir=files,
            force=False,
        )  # fmt: skip

    try:
        with pytest.raises(BackupError) as failure:
            restore()
        with target.connect() as connection:
            assert inspect(connection).get_table_names() == []
        assert not files.exists()
        assert not [p for p in world.root.iterdir() if p.name.startswith(".restore-target")]
        return str(failure.value)
    finally:
        target.dispose()


def _set(world: World) -> str:
    return service.set_name(world.settings, world.engine)


def verify(world: World, backup_id: str, identities=None):
    return service.verify(None, world.settings, world.engine, backup_id,
                          identities or world.identities())  # fmt: skip


def test_one_flipped_byte_in_the_payload_is_a_checksum_mismatch(
    world, backend, database_url_factory
):
    _, second = two_backups(world)
    flip(world.storage_dir / second.object, second.ciphertext_size // 2)
    assert verify(world, second.id).outcome is Outcome.checksum_mismatch
    message = assert_restore_changes_nothing(world, backend, database_url_factory, second.id)
    assert "checksum_mismatch" in message


def test_a_flipped_bit_that_keeps_the_checksum_story_fails_decryption(world, backend):
    """Damage in the header, its MAC or a chunk, with the manifest rewritten to match the
    damaged bytes: age itself refuses (BACKUPS.md 18)."""
    import hashlib

    manifest = two_backups(world)[1]
    path = world.storage_dir / manifest.object
    original = path.read_bytes()
    header_end = original.index(b"\n---") + 4
    for offset in (20, header_end + 2, header_end + 60, len(original) - 5):
        data = bytearray(original)
        data[offset] ^= 0x01
        path.write_bytes(bytes(data))
        forged = manifest.model_copy(update={"ciphertext_sha256": hashlib.sha256(data).hexdigest()})
        (world.storage_dir / manifest_name(manifest.set, manifest.id)).write_bytes(forged.to_json())
        report = verify(world, manifest.id)
        assert report.outcome is Outcome.other_error, offset
        assert "decrypt" in report.detail or "damaged" in report.detail


def test_a_truncated_object_is_size_invalid_and_not_listed(world, backend, database_url_factory):
    _, second = two_backups(world)
    path = world.storage_dir / second.object
    path.write_bytes(path.read_bytes()[:-1])
    entries = {e.id: e for e in catalogue(world.storage, second.set)}
    assert not entries[second.id].verified
    assert "size_invalid" in str(entries[second.id].problem)
    message = assert_restore_changes_nothing(world, backend, database_url_factory, second.id)
    assert "size_invalid" in message


def test_a_missing_object_is_file_missing(world, backend, database_url_factory):
    _, second = two_backups(world)
    (world.storage_dir / second.object).unlink()
    assert "file_missing" in assert_restore_changes_nothing(
        world, backend, database_url_factory, second.id
    )


def test_swapped_manifests_are_refused(world, backend, database_url_factory):
    first, second = two_backups(world)
    a = world.storage_dir / manifest_name(first.set, first.id)
    b = world.storage_dir / manifest_name(second.set, second.id)
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    assert [e for e in catalogue(world.storage, first.set) if e.verified] == []
    assert "describes another backup" in assert_restore_changes_nothing(
        world, backend, database_url_factory, first.id
    )


def test_swapped_objects_under_renamed_ids_are_caught_by_the_archive_header(world):
    """Even with a manifest rewritten to the other object's checksums, the archive says which
    backup it is."""
    first, second = two_backups(world)
    swapped = first.model_copy(update={
        "ciphertext_sha256": second.ciphertext_sha256, "ciphertext_size": second.ciphertext_size,
        "plaintext_sha256": second.plaintext_sha256, "plaintext_size": second.plaintext_size,
    })  # fmt: skip
    (world.storage_dir / object_name(first.set, first.id)).write_bytes(
        (world.storage_dir / second.object).read_bytes()
    )
    (world.storage_dir / manifest_name(first.set, first.id)).write_bytes(swapped.to_json())
    report = verify(world, first.id)
    assert report.outcome is Outcome.other_error
    assert "swapped" in report.detail


def test_a_wrong_identity_fails_clearly_and_changes_nothing(world, backend, database_url_factory):
    from oversight.backup.crypto import read_identities

    _, second = two_backups(world)
    write_identity(world.root / "other.txt")
    other = read_identities(world.root / "other.txt")
    assert verify(world, second.id, other).outcome is Outcome.other_error
    message = assert_restore_changes_nothing(world, backend, database_url_factory, second.id, other)
    assert "cannot decrypt" in message
