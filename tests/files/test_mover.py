"""The hot → cold mover against a local folder, the SFTP and the S3 test servers: copied,
verified by read-back, freed locally only once committed; a connection dropped mid-copy loses
nothing and the move is retried after its backoff; cold files stream back through links."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import files_samples as samples
from companies import make_company
from dropping_proxy import dropping_proxy
from files_samples import upload
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.config import Settings
from oversight.config.storage import StorageTarget
from oversight.files import mover
from oversight.files.metrics import backlogs
from oversight.files.models import Blob, Tier
from oversight.files.store import object_name
from oversight.observability.metrics import REGISTRY
from oversight.storage import Storage, open_storage
from oversight.storage.base import ObjectInfo

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SIZE = 3 * 1024 * 1024 + 17


def _hot_blob(session: Session, settings: Settings, *, days_old: int = 40) -> Blob:
    body = random.Random(days_old * 7919 + random.randrange(10**9)).randbytes(SIZE)
    sha = hashlib.sha256(body).hexdigest()
    path = settings.files.hot_dir / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    blob = Blob(sha256=sha, size=SIZE, content_type="application/pdf",
                created_at=NOW - timedelta(days=days_old))  # fmt: skip
    session.add(blob)
    session.flush()
    return blob


def _with_cold(settings: Settings, target: StorageTarget) -> Settings:
    files = settings.files.model_copy(update={"cold": target, "mover_backoff_seconds": 60.0})
    return settings.model_copy(update={"files": files})


def _counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


@pytest.fixture
def cold_target(request, tmp_path):  # type: ignore[no-untyped-def]
    """A fresh cold folder on the backend named by the test's parameter."""
    kind = request.param
    if kind == "local":
        return StorageTarget(url=str(tmp_path / "cold"), retries=0)
    if kind == "sftp":
        sshd = request.getfixturevalue("sshd")
        root = sshd.home / f"cold-{random.randrange(10**9)}"
        root.mkdir()
        return StorageTarget(
            url=sshd.url(root),
            key_file=sshd.key_file,
            host_key=sshd.host_key_line,
            retries=0,
            timeout_seconds=10,
        )
    seaweed = request.getfixturevalue("seaweed")
    return StorageTarget(
        url=f"s3://contract/cold-{random.randrange(10**9)}",
        endpoint_url=seaweed.endpoint_url,
        access_key_id=seaweed.admin.access_key_id,
        secret_access_key=seaweed.admin.secret_access_key,
        chunk_size_bytes=5 * 1024 * 1024,
        retries=0,
        timeout_seconds=10,
    )


BACKENDS = pytest.mark.parametrize("cold_target", ["local", "sftp", "s3"], indirect=True)


@BACKENDS
def test_old_files_move_verified_and_are_freed_after_commit(session, files_settings, cold_target):
    settings = _with_cold(files_settings, cold_target)
    old, new = _hot_blob(session, settings), _hot_blob(session, settings, days_old=2)
    local = settings.files.hot_dir / object_name(old.sha256)
    moved_before = _counter("oversight_mover_moved_files_total")

    result = mover.run_mover(session, settings, now=NOW)

    assert (result.moved, result.failed) == (1, 0)
    assert old.tier is Tier.cold
    assert new.tier is Tier.hot
    assert local.exists()  # not committed yet: the only copy the row names stays
    session.commit()
    assert not local.exists()
    with open_storage(cold_target) as storage, storage.get(object_name(old.sha256)) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == old.sha256
    assert (settings.files.hot_dir / object_name(new.sha256)).exists()
    assert _counter("oversight_mover_moved_files_total") == moved_before + 1


@BACKENDS
def test_a_rolled_back_run_keeps_the_local_copy(session, files_settings, cold_target):
    settings = _with_cold(files_settings, cold_target)
    blob = _hot_blob(session, settings)
    session.commit()
    nested = session.begin_nested()
    mover.run_mover(session, settings, now=NOW)
    nested.rollback()
    assert (settings.files.hot_dir / object_name(blob.sha256)).exists()


def _proxied(target: StorageTarget, port: int) -> StorageTarget:
    if target.url.startswith("sftp://"):
        head, _, rest = target.url.partition("@")
        _host_port, _, path = rest.partition("/")
        return target.model_copy(update={"url": f"{head}@127.0.0.1:{port}/{path}"})
    assert target.endpoint_url is not None
    return target.model_copy(update={"endpoint_url": f"http://127.0.0.1:{port}"})


def _port(target: StorageTarget) -> int:
    if target.url.startswith("sftp://"):
        return int(target.url.partition("@")[2].partition("/")[0].rpartition(":")[2])
    assert target.endpoint_url is not None
    return int(target.endpoint_url.rpartition(":")[2].strip("/"))


@pytest.mark.parametrize("cold_target", ["sftp", "s3"], indirect=True)
@pytest.mark.resilience
def test_a_connection_dropped_mid_copy_loses_nothing_and_is_retried(
    session, files_settings, cold_target
):
    blob = _hot_blob(session, files_settings)
    local = files_settings.files.hot_dir / object_name(blob.sha256)
    failed_before = _counter("oversight_mover_failed_files_total")
    # Every connection of the first run is cut after 1 MiB (the backend's own retries, if
    # any, are cut too), then the network heals.
    with dropping_proxy(_port(cold_target), after_bytes=1024 * 1024, drops=100) as proxy:
        settings = _with_cold(files_settings, _proxied(cold_target, proxy.port))
        first = mover.run_mover(session, settings, now=NOW)
        assert proxy.dropped >= 1
        proxy.drops_left = 0
        assert (first.moved, first.failed) == (0, 1)
        session.commit()
        assert blob.tier is Tier.hot
        assert local.exists()
        assert blob.move_failures == 1
        assert blob.move_error
        assert blob.next_move_at == NOW + timedelta(seconds=60)
        with open_storage(cold_target) as storage:
            assert [o.name for o in storage.list_objects()] == []

        too_soon = mover.run_mover(session, settings, now=NOW + timedelta(seconds=30))
        assert (too_soon.moved, too_soon.failed) == (0, 0)

        later = mover.run_mover(session, settings, now=NOW + timedelta(seconds=61))
        assert (later.moved, later.failed) == (1, 0)
        session.commit()
    assert blob.tier is Tier.cold
    assert not local.exists()
    assert _counter("oversight_mover_failed_files_total") == failed_before + 1


def test_the_backoff_doubles_and_is_capped(files_settings):
    assert mover.backoff(files_settings, 1) == timedelta(seconds=60)
    assert mover.backoff(files_settings, 3) == timedelta(seconds=240)
    assert mover.backoff(files_settings, 40) == timedelta(days=1)


def test_without_a_cold_target_nothing_moves(session, files_settings):
    blob = _hot_blob(session, files_settings)
    assert mover.run_mover(session, files_settings, now=NOW) == mover.MoverRun(0, 0)
    assert blob.tier is Tier.hot


def test_a_cold_file_streams_back_through_its_signed_link(cold_client, session, auth,
                                                         cold_settings):  # fmt: skip
    world = make_company(session)
    body = samples.pdf(2)
    attached = upload(cold_client, world.request.id, body, auth(world.engineer), "act.pdf")
    assert attached.status_code == 201, attached.text
    session.info.pop(PRINCIPAL_KEY, None)
    blob = session.scalars(select(Blob).where(Blob.sha256 == attached.json()["sha256"])).one()
    blob.created_at = NOW - timedelta(days=31)
    assert mover.run_mover(session, cold_settings, now=NOW).moved == 1
    session.commit()
    assert not (cold_settings.files.hot_dir / object_name(blob.sha256)).exists()

    links = cold_client.post(
        f"/api/v1/attachments/{attached.json()['id']}/links", headers=auth(world.contact)
    ).json()
    response = cold_client.get(links["download_url"])
    assert response.status_code == 200, response.text
    assert response.content == body
    assert (
        cold_client.get(
            f"/api/v1/attachments/{attached.json()['id']}", headers=auth(world.contact)
        ).json()["tier"]
        == "cold"
    )


def test_the_backlog_counts_files_due_and_is_exported(cold_client, session, cold_settings,
                                                     files_settings):  # fmt: skip
    before, _ = backlogs(session.connection(), cold_settings, NOW)
    _hot_blob(session, cold_settings, days_old=400)
    _hot_blob(session, cold_settings, days_old=1)
    assert backlogs(session.connection(), cold_settings, NOW)[0] == before + 1
    assert backlogs(session.connection(), files_settings, NOW)[0] == 0  # no cold tier: no backlog
    assert _gauge(cold_client, "oversight_mover_backlog_files") >= 0
    assert _gauge(cold_client, "oversight_preview_backlog_files") >= 0


def _gauge(client, name: str) -> float:
    # /metrics answers loopback only by default (the test client's own address is not one).
    scraper = TestClient(client.app, client=("127.0.0.1", 50000))
    for line in scraper.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exported")


class _Flipping(Storage):
    """The real cold backend, except that each object, once written, has one byte flipped
    in place on the backend (what a failing disk or a bad proxy would leave there)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.flipped: list[str] = []

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        info = self.inner.put(name, stream, size=size)
        with self.inner.get(name) as stored:
            data = bytearray(stored.read())
        data[len(data) // 2] ^= 0x01
        self.inner.put(name, io.BytesIO(bytes(data)), size=len(data))
        self.flipped.append(name)
        return info

    def get(self, name: str) -> AbstractContextManager[BinaryIO]:
        return self.inner.get(name)

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.inner.list_objects(prefix)

    def stat(self, name: str) -> ObjectInfo:
        return self.inner.stat(name)

    def delete(self, name: str) -> None:
        self.inner.delete(name)

    def close(self) -> None:
        self.inner.close()


# The wrapper works on any backend; the local one keeps the test cheap.
@pytest.mark.parametrize("cold_target", ["local"], indirect=True)
def test_a_checksum_mismatch_on_read_back_keeps_the_local_copy_and_retries(
    session, files_settings, cold_target, monkeypatch, json_logs
):
    settings = _with_cold(files_settings, cold_target)
    blob = _hot_blob(session, settings)
    local = settings.files.hot_dir / object_name(blob.sha256)
    failed_before = _counter("oversight_mover_failed_files_total")
    flipping: list[_Flipping] = []

    def corrupting(target: StorageTarget) -> Storage:
        flipping.append(_Flipping(open_storage(target)))
        return flipping[-1]

    monkeypatch.setattr(mover, "open_storage", corrupting)
    json_logs()
    first = mover.run_mover(session, settings, now=NOW)
    logs = json_logs()
    session.commit()

    assert (first.moved, first.failed) == (0, 1)
    assert flipping[0].flipped == [object_name(blob.sha256)]
    assert blob.tier is Tier.hot
    assert local.exists()
    assert hashlib.sha256(local.read_bytes()).hexdigest() == blob.sha256
    assert blob.move_failures == 1
    assert blob.move_error is not None
    assert blob.move_error.startswith("read-back checksum ")
    assert blob.next_move_at == NOW + timedelta(seconds=60)
    assert _counter("oversight_mover_failed_files_total") == failed_before + 1
    [line] = [entry for entry in logs if entry.get("action") == "file_move"]
    assert (line["status"], line["entity_id"], line["failures"]) == ("failure", blob.id, 1)
    assert line["reason"] == blob.move_error

    monkeypatch.setattr(mover, "open_storage", open_storage)  # the backend heals
    later = mover.run_mover(session, settings, now=NOW + timedelta(seconds=61))
    session.commit()
    assert (later.moved, later.failed) == (1, 0)
    assert blob.tier is Tier.cold
    assert not local.exists()
    with open_storage(cold_target) as storage, storage.get(object_name(blob.sha256)) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == blob.sha256
