"""One harness per storage backend, so the contract suite runs the same cases on each
(fixtures re-exported by tests/storage/conftest.py).

A `Harness` gives a fresh folder per test on its backend (a temp folder; a folder under the
sshd user's home; a prefix in a SeaweedFS bucket; a folder of the fake Drive), the target
with a full (delete-capable) credential, the upload-only one where the backend has roles,
ways to plant objects behind the backend's back (a partial, a neighbour outside the folder)
and targets that must fail (bad credential, missing folder, unreachable host).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import servers
import storage_servers
from fake_drive import FakeDrive, fake_drive
from oversight.config.storage import StorageTarget
from oversight.storage import (
    Storage,
    StorageAuthError,
    StorageError,
    StorageUnavailable,
    open_storage,
)

BACKENDS = ["local", "sftp", "s3", "gdrive"]
BUCKET = "contract"
_numbers = itertools.count()


@dataclass
class Harness:
    """What a contract test needs from one backend (see the module docstring)."""

    kind: str
    target: StorageTarget
    big_size: int  # crosses the backend's chunk / part / window size at least twice
    upload_target: StorageTarget | None = None  # a credential that may not delete, if any
    plant_partial: Callable[[str], None] = lambda name: None
    plant_neighbours: Callable[[], None] = lambda: None
    neighbours: Callable[[], dict[str, bytes]] = dict
    failing: dict[str, tuple[StorageTarget, type[Exception], str]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    opened: list[Storage] = field(default_factory=list)

    def open(self, target: StorageTarget | None = None) -> Storage:
        storage = open_storage(target or self.target)
        self.opened.append(storage)
        return storage


def _target(**values: Any) -> StorageTarget:
    return StorageTarget(**{"timeout_seconds": 10.0, "retries": 0, **values})


# ---------------------------------------------------------------- servers (per session)


@pytest.fixture(scope="session")
def sshd() -> Iterator[storage_servers.SshServer]:
    with storage_servers.sshd_server() as server:
        yield server


@pytest.fixture(scope="session")
def seaweed() -> Iterator[storage_servers.SeaweedServer]:
    with storage_servers.seaweedfs_server() as server:
        server.client().create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
        yield server


@pytest.fixture(scope="session")
def drive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeDrive]:
    with fake_drive(tmp_path_factory.mktemp("drive-keys")) as server:
        yield server


@pytest.fixture(scope="session")
def drive_keys(drive: FakeDrive) -> dict[str, Path]:
    return {
        "manager": drive.add_account("manager"),
        "contributor": drive.add_account("contributor"),
        "unknown": drive.add_account("manager", registered=False),
    }


# ---------------------------------------------------------------- harnesses (per test)


def _local(tmp_path: Path) -> Harness:
    root = tmp_path / "store"
    sibling = tmp_path / "store-other"

    def plant_neighbours() -> None:
        sibling.mkdir()
        (sibling / "keep").write_bytes(b"sibling")
        (tmp_path / "store.txt").write_bytes(b"beside")

    def neighbours() -> dict[str, bytes]:
        found = {p.name: p.read_bytes() for p in sibling.glob("*")}
        if (tmp_path / "store.txt").exists():
            found["store.txt"] = (tmp_path / "store.txt").read_bytes()
        return found

    def plant_partial(name: str) -> None:
        path = root / f"{name}.abc.partial"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"unfinished")

    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    return Harness(
        kind="local",
        target=_target(url=str(root)),
        big_size=3 * 1024 * 1024 + 7,
        plant_partial=plant_partial,
        plant_neighbours=plant_neighbours,
        neighbours=neighbours,
        failing={
            "not a folder": (_target(url=str(blocker / "sub")), StorageError, ""),
        },
        extras={"root": root},
    )


def _sftp(sshd: storage_servers.SshServer, tmp_path: Path) -> Harness:
    number = next(_numbers)
    root = sshd.home / f"t{number}"
    root.mkdir()
    sibling = sshd.home / f"t{number}-other"
    base = {"known_hosts": sshd.known_hosts, "key_file": sshd.key_file}

    def plant_neighbours() -> None:
        sibling.mkdir()
        (sibling / "keep").write_bytes(b"sibling")

    def neighbours() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sibling.glob("*")}

    def plant_partial(name: str) -> None:
        path = root / f"{name}.abc.partial"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"unfinished")

    other_key = tmp_path / "other_key"
    storage_servers._keygen(other_key, "not-authorized")
    empty_known = tmp_path / "known_hosts_empty"
    empty_known.write_text("")
    dead = servers.free_port()
    return Harness(
        kind="sftp",
        target=_target(url=sshd.url(root), **base),
        big_size=9 * 1024 * 1024 + 7,
        plant_partial=plant_partial,
        plant_neighbours=plant_neighbours,
        neighbours=neighbours,
        failing={
            "bad key": (
                _target(url=sshd.url(root), known_hosts=sshd.known_hosts, key_file=other_key),
                StorageAuthError,
                "",
            ),
            "bad password": (
                _target(
                    url=sshd.url(root),
                    known_hosts=sshd.known_hosts,
                    password="hunter2-not-the-password",
                ),
                StorageAuthError,
                "hunter2-not-the-password",
            ),
            "unknown host key": (
                _target(url=sshd.url(root), known_hosts=empty_known, key_file=sshd.key_file),
                StorageAuthError,
                "",
            ),
            "missing folder": (_target(url=sshd.url(root / "absent"), **base), StorageError, ""),
            "unreachable": (
                _target(url=f"sftp://{sshd.user}@127.0.0.1:{dead}{root}", **base),
                StorageUnavailable,
                "",
            ),
        },
        extras={"root": root, "server": sshd},
    )


def _s3(seaweed: storage_servers.SeaweedServer) -> Harness:
    number = next(_numbers)
    prefix = f"t{number}"
    client: Any = seaweed.client()
    admin = seaweed.admin
    keys = {
        "endpoint_url": seaweed.endpoint_url,
        "access_key_id": admin.access_key_id,
        "secret_access_key": admin.secret_access_key,
    }
    outside = {f"{prefix}-other/keep": b"sibling", f"{prefix}x": b"beside", "top": b"top"}

    def plant_neighbours() -> None:
        for key, body in outside.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=body)

    def neighbours() -> dict[str, bytes]:
        found = {}
        for key in outside:
            with contextlib.suppress(client.exceptions.NoSuchKey):
                found[key] = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return found

    def plant_partial(name: str) -> None:
        client.create_multipart_upload(Bucket=BUCKET, Key=f"{prefix}/{name}")
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{name}.abc.partial", Body=b"left")

    dead = servers.free_port()
    return Harness(
        kind="s3",
        target=_target(url=f"s3://{BUCKET}/{prefix}", chunk_size_bytes=5 * 1024 * 1024, **keys),
        big_size=11 * 1024 * 1024 + 7,
        upload_target=_target(
            url=f"s3://{BUCKET}/{prefix}",
            endpoint_url=seaweed.endpoint_url,
            access_key_id=seaweed.uploader.access_key_id,
            secret_access_key=seaweed.uploader.secret_access_key,
        ),
        plant_partial=plant_partial,
        plant_neighbours=plant_neighbours,
        neighbours=neighbours,
        failing={
            "bad secret": (
                _target(
                    url=f"s3://{BUCKET}/{prefix}",
                    endpoint_url=seaweed.endpoint_url,
                    access_key_id=admin.access_key_id,
                    secret_access_key="wrong-secret-value-123",
                ),
                StorageAuthError,
                "wrong-secret-value-123",
            ),
            "missing folder": (
                _target(url=f"s3://no-such-bucket/{prefix}", **keys),
                StorageError,
                "",
            ),
            "unreachable": (
                _target(
                    url=f"s3://{BUCKET}/{prefix}",
                    **{**keys, "endpoint_url": f"http://127.0.0.1:{dead}"},
                ),
                StorageUnavailable,
                "",
            ),
        },
        extras={"client": client, "prefix": prefix, "server": seaweed},
    )


def _gdrive(drive: FakeDrive, keys: dict[str, Path]) -> Harness:
    folder = drive.add_folder(f"t{next(_numbers)}")
    other = drive.add_folder("other")
    url = f"gdrive://{folder}"
    base = {"api_base_url": drive.base_url, "chunk_size_bytes": 256 * 1024}
    planted: dict[str, str] = {}

    def plant_neighbours() -> None:
        planted["keep"] = drive.add_file(other, "keep", b"sibling")
        planted["loose"] = drive.add_file("root", "loose", b"beside")

    def neighbours() -> dict[str, bytes]:
        return {
            name: drive.files[file_id].data
            for name, file_id in planted.items()
            if file_id in drive.files
        }

    def plant_partial(name: str) -> None:
        drive.add_file(folder, f"{name}.abc.partial", b"unfinished")

    dead = servers.free_port()
    return Harness(
        kind="gdrive",
        target=_target(url=url, credentials_file=keys["manager"], **base),
        big_size=1024 * 1024 + 7,
        upload_target=_target(url=url, credentials_file=keys["contributor"], **base),
        plant_partial=plant_partial,
        plant_neighbours=plant_neighbours,
        neighbours=neighbours,
        failing={
            "unknown key": (
                _target(url=url, credentials_file=keys["unknown"], **base),
                StorageAuthError,
                "",
            ),
            "missing folder": (
                _target(url="gdrive://no-such-folder", credentials_file=keys["manager"], **base),
                StorageError,
                "",
            ),
            "unreachable": (
                _target(
                    url=url,
                    credentials_file=keys["manager"],
                    api_base_url=f"http://127.0.0.1:{dead}",
                    chunk_size_bytes=256 * 1024,
                ),
                StorageUnavailable,
                "",
            ),
        },
        extras={"drive": drive, "folder": folder, "other": other, "planted": planted},
    )


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    kind = request.param
    if kind == "local":
        made = _local(tmp_path)
    elif kind == "sftp":
        made = _sftp(request.getfixturevalue("sshd"), tmp_path)
    elif kind == "s3":
        made = _s3(request.getfixturevalue("seaweed"))
    else:
        drive = request.getfixturevalue("drive")
        made = _gdrive(drive, request.getfixturevalue("drive_keys"))
    yield made
    for storage in made.opened:
        storage.close()
    if kind == "sftp":
        shutil.rmtree(made.extras["root"], ignore_errors=True)
