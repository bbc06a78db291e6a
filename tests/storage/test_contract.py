"""The storage contract (`oversight.storage.base`), the same cases on every backend: the local
folder, SFTP against OpenSSH, S3 against SeaweedFS, Google Drive against the fake Drive v3."""

from __future__ import annotations

import hashlib
import io
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from oversight.storage import (
    ObjectNotFound,
    Storage,
    StorageAuthError,
    StorageError,
    open_prune_storage,
)
from storage_harness import Harness


def payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


class Interrupted(Exception):
    """What the caller's stream raises midway (pg_dump died, the encryptor failed)."""


class BreakingStream(io.RawIOBase):
    """Gives `limit` bytes of `data`, then raises `Interrupted`."""

    def __init__(self, data: bytes, limit: int) -> None:
        self._data = io.BytesIO(data)
        self._limit = limit
        self._given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self._given >= self._limit:
            raise Interrupted("the producer died")
        chunk = self._data.read(min(len(buffer), self._limit - self._given))
        buffer[: len(chunk)] = chunk
        self._given += len(chunk)
        return len(chunk)


def read_back(storage: Storage, name: str, piece: int = 65_536) -> bytes:
    parts = []
    with storage.get(name) as stream:
        while chunk := stream.read(piece):
            parts.append(chunk)
    return b"".join(parts)


def names(storage: Storage, prefix: str = "") -> list[str]:
    return [info.name for info in storage.list_objects(prefix)]


def test_round_trip_of_empty_small_and_multi_chunk_objects(harness: Harness) -> None:
    storage = harness.open()
    for name, size in [("empty", 0), ("one", 1), ("age-chunk", 65_537), ("big", harness.big_size)]:
        data = payload(size, seed=size)
        info = storage.put(name, io.BytesIO(data), size=size)
        assert (info.name, info.size) == (name, size)
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        assert read_back(storage, name) == data
        stat = storage.stat(name)
        assert stat.size == size
        assert stat.modified.tzinfo is not None
    assert names(storage) == ["age-chunk", "big", "empty", "one"]


def test_put_replaces_an_existing_object(harness: Harness) -> None:
    storage = harness.open()
    storage.put("same", io.BytesIO(b"first version"))
    storage.put("same", io.BytesIO(b"second"))
    assert read_back(storage, "same") == b"second"
    assert [(info.name, info.size) for info in storage.list_objects()] == [("same", 6)]


def test_list_is_in_name_order_under_a_prefix_without_partials(harness: Harness) -> None:
    storage = harness.open()
    for name in ["b/2", "a", "b/1", "ab", "c.tar", "b-c"]:
        storage.put(name, io.BytesIO(name.encode()))
    harness.plant_partial("d")
    assert names(storage) == ["a", "ab", "b-c", "b/1", "b/2", "c.tar"]
    assert names(storage, "b/") == ["b/1", "b/2"]
    assert names(storage, "a") == ["a", "ab"]
    assert names(storage, "zzz") == []
    sizes = {info.name: info.size for info in storage.list_objects()}
    assert sizes["c.tar"] == 5


def test_clean_partials_removes_only_old_leftovers(harness: Harness) -> None:
    storage = harness.open()
    storage.put("kept", io.BytesIO(b"kept"))
    harness.plant_partial("left")
    assert storage.clean_partials(older_than=timedelta(hours=1)) == 0  # may still be running
    assert storage.clean_partials(older_than=timedelta(0)) >= 1
    assert storage.clean_partials(older_than=timedelta(0)) == 0
    assert names(storage) == ["kept"]
    assert read_back(storage, "kept") == b"kept"


def test_missing_objects_and_delete(harness: Harness) -> None:
    storage = harness.open()
    with pytest.raises(ObjectNotFound):
        storage.stat("nothing")
    with pytest.raises(ObjectNotFound), storage.get("nothing"):
        pass
    storage.delete("nothing")  # not an error
    storage.put("dir/x", io.BytesIO(b"x"))
    storage.put("y", io.BytesIO(b"y"))
    storage.delete("dir/x")
    assert names(storage) == ["y"]
    with pytest.raises(ObjectNotFound):
        storage.stat("dir/x")


@pytest.mark.parametrize(
    "name",
    ["", "/abs", "../up", "a/../b", "a//b", "./a", "a/", "back\\slash", "new\nline", "x.partial"],
)
def test_invalid_names_are_refused_and_nothing_is_written(harness: Harness, name: str) -> None:
    storage = harness.open()
    for call in (
        lambda: storage.put(name, io.BytesIO(b"x")),
        lambda: storage.stat(name),
        lambda: storage.delete(name),
    ):
        with pytest.raises(StorageError, match="invalid object name"):
            call()
    with pytest.raises(StorageError, match="invalid object name"), storage.get(name):
        pass
    assert names(storage) == []


def test_an_interrupted_put_leaves_nothing_under_the_final_name(harness: Harness) -> None:
    storage = harness.open()
    storage.put("backup", io.BytesIO(b"the previous, complete one"))
    data = payload(harness.big_size)
    stream = io.BufferedReader(BreakingStream(data, harness.big_size * 2 // 3))
    with pytest.raises(Interrupted):
        storage.put("backup", stream)
    with pytest.raises(Interrupted):
        storage.put("fresh", io.BufferedReader(BreakingStream(data, 10)))
    assert names(storage) == ["backup"]
    assert read_back(storage, "backup") == b"the previous, complete one"
    assert storage.clean_partials(older_than=timedelta(0)) == 0  # the put cleaned up itself


def test_a_wrong_declared_size_stores_nothing(harness: Harness) -> None:
    storage = harness.open()
    with pytest.raises(StorageError, match="expected 5"):
        storage.put("short", io.BytesIO(b"four"), size=5)
    assert names(storage) == []


def test_the_backend_never_touches_objects_outside_its_folder(harness: Harness) -> None:
    harness.plant_neighbours()
    before = harness.neighbours()
    assert before
    storage = harness.open()
    storage.put("a", io.BytesIO(b"a"))
    storage.put("sub/b", io.BytesIO(b"b"))
    assert names(storage) == ["a", "sub/b"]
    harness.plant_partial("c")
    storage.clean_partials(older_than=timedelta(0))
    for name in ["a", "sub/b", "keep", "loose", "top"]:
        storage.delete(name)
    assert names(storage) == []
    assert harness.neighbours() == before


def test_failures_are_one_clear_line_without_secrets(harness: Harness) -> None:
    for case, (target, expected, secret) in harness.failing.items():
        storage = harness.open(target)
        errors: list[StorageError] = []
        with pytest.raises(expected) as put_error:
            storage.put("probe", io.BytesIO(b"probe"))
        errors.append(put_error.value)  # type: ignore[arg-type]
        if harness.kind != "local":
            with pytest.raises(expected) as list_error:
                list(storage.list_objects())
            errors.append(list_error.value)  # type: ignore[arg-type]
        for error in errors:
            message = str(error)
            assert "\n" not in message, case
            assert message.startswith(f"storage {storage.display}"), (case, message)
            assert len(message) < 300, (case, message)
            if secret:
                assert secret not in message, case
            for value in (target.password, target.secret_access_key):
                if value is not None:
                    assert value.get_secret_value() not in message, case


def test_the_upload_credential_needs_no_delete_right(harness: Harness) -> None:
    """Put, get, list and stat work with the upload-only credential (S3's Read/Write/List
    identity, Drive's contributor); where the backend enforces roles, it cannot delete, and
    the prune credential (same folder) can."""
    if harness.upload_target is None:
        uploads = harness.open()
    else:
        uploads = harness.open(harness.upload_target)
    data = payload(harness.big_size, seed=7)
    uploads.put("nightly", io.BytesIO(data))
    uploads.put("nightly", io.BytesIO(data))  # replacing needs no delete right either
    assert read_back(uploads, "nightly") == data
    assert names(uploads) == ["nightly"]
    assert uploads.stat("nightly").size == len(data)
    if harness.kind == "gdrive":
        with pytest.raises(StorageAuthError, match="permission denied deleting nightly"):
            uploads.delete("nightly")
    upload_target = harness.upload_target or harness.target
    pruner = open_prune_storage(upload_target, harness.target)
    harness.opened.append(pruner)
    pruner.delete("nightly")
    assert names(uploads) == []


def test_a_prune_target_for_another_folder_is_refused(harness: Harness) -> None:
    other = harness.target.model_copy(update={"url": harness.target.url + "-elsewhere"})
    with pytest.raises(StorageError, match="must name the same folder"):
        open_prune_storage(harness.target, other)


def test_reading_in_odd_pieces(harness: Harness) -> None:
    storage = harness.open()
    data = payload(200_003, seed=3)
    storage.put("odd", io.BytesIO(data))
    with storage.get("odd") as stream:
        pieces = [stream.read(7), stream.read(65_536), stream.read()]
    assert b"".join(pieces) == data


def test_two_writers_of_one_name_leave_one_whole_object(harness: Harness) -> None:
    """Instances are not shared between threads; two instances may write the same name, and
    neither may take the other's object for its own (nor remove it). Five rounds: one round
    caught a HEAD-after-PUT race only about every other time."""
    versions = [payload(300_000, seed=10), payload(250_000, seed=11)]
    writers = [harness.open(), harness.open()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_ in range(5):
            name = f"same-{round_}"
            done = list(
                pool.map(
                    lambda pair, name=name: pair[0].put(name, io.BytesIO(pair[1])),
                    zip(writers, versions, strict=True),
                )
            )
            assert [info.size for info in done] == [300_000, 250_000]
            assert read_back(writers[0], name) in versions
    assert names(writers[0]) == [f"same-{round_}" for round_ in range(5)]


def test_names_with_spaces_quotes_and_unicode(harness: Harness) -> None:
    storage = harness.open()
    odd = ["with space", "it's", 'quote"d', "ünï/cødé", "a+b=c&d%20", "back`tick"]
    for name in odd:
        storage.put(name, io.BytesIO(name.encode()))
    assert names(storage) == sorted(odd)
    for name in odd:
        assert read_back(storage, name) == name.encode()
        assert storage.stat(name).size == len(name.encode())
        storage.delete(name)
    assert names(storage) == []
