"""What only some backends can show: Drive's checksum, resume, paging, duplicate names and
quota (faults injected by the fake Drive); SFTP's host key pinning; a full disk for the local
folder and SFTP (a small tmpfs, root only); S3's pending multipart uploads; local links."""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_drive import FakeDrive
from oversight.config.storage import StorageTarget
from oversight.storage import (
    ChecksumMismatch,
    ObjectNotFound,
    StorageAuthError,
    StorageError,
    StorageFull,
    StorageUnavailable,
    open_storage,
)
from storage_harness import BUCKET, Harness
from storage_servers import SeaweedServer, SshServer, _keygen


def payload(size: int) -> bytes:
    return random.Random(size).randbytes(size)


# ---------------------------------------------------------------- Google Drive


@pytest.fixture
def drive_harness(request: pytest.FixtureRequest, drive: FakeDrive) -> Iterator[Harness]:
    from storage_harness import _gdrive

    made = _gdrive(drive, request.getfixturevalue("drive_keys"))
    yield made
    for storage in made.opened:
        storage.close()
    drive.corrupt_next_upload = False
    drive.fail_chunks = 0
    drive.quota_bytes = None
    drive.page_size = 1000


def test_drive_checksum_mismatch_removes_the_upload(drive_harness: Harness) -> None:
    drive = drive_harness.extras["drive"]
    storage = drive_harness.open()
    drive.corrupt_next_upload = True
    with pytest.raises(ChecksumMismatch, match="md5Checksum"):
        storage.put("backup", io.BytesIO(payload(300_000)))
    assert drive.children(drive_harness.extras["folder"]) == []  # not even the partial
    storage.put("backup", io.BytesIO(payload(300_000)))  # the retry succeeds
    assert storage.stat("backup").md5 is not None


def test_drive_resumes_a_chunk_that_failed_midway(drive_harness: Harness) -> None:
    drive = drive_harness.extras["drive"]
    target = drive_harness.target.model_copy(update={"retries": 3})
    storage = drive_harness.open(target)
    data = payload(5 * 256 * 1024 + 11)
    drive.chunk_puts, drive.fail_chunks = 0, 2
    info = storage.put("resumed", io.BytesIO(data))
    assert drive.fail_chunks == 0  # both faults were hit
    with storage.get("resumed") as stream:
        assert stream.read() == data
    assert info.md5 == storage.stat("resumed").md5


def test_drive_gives_up_after_its_retries_and_stores_nothing(drive_harness: Harness) -> None:
    drive = drive_harness.extras["drive"]
    storage = drive_harness.open()  # retries=0
    drive.chunk_puts, drive.fail_chunks = 0, 1
    with pytest.raises(StorageUnavailable, match=r"connection failed|answered 503"):
        storage.put("given-up", io.BytesIO(payload(3 * 256 * 1024)))
    assert list(storage.list_objects()) == []
    assert drive.children(drive_harness.extras["folder"]) == []


def test_drive_lists_every_page_and_reads_the_newest_of_duplicate_names(
    drive_harness: Harness,
) -> None:
    drive = drive_harness.extras["drive"]
    folder = drive_harness.extras["folder"]
    storage = drive_harness.open()
    for number in range(5):
        storage.put(f"n{number}", io.BytesIO(b"x" * number))
    drive.page_size = 2
    assert [info.name for info in storage.list_objects()] == [f"n{i}" for i in range(5)]
    older = drive.add_file(folder, "n3", b"older copy")
    drive.files[older].modified = "2000-01-01T00:00:00.000Z"
    assert storage.stat("n3").size == 3
    with storage.get("n3") as stream:
        assert stream.read() == b"xxx"
    assert [info.name for info in storage.list_objects("n3")] == ["n3"]
    storage.delete("n3")
    assert older not in drive.files
    with pytest.raises(ObjectNotFound):
        storage.stat("n3")


def test_drive_quota_exceeded_is_storage_full(drive_harness: Harness) -> None:
    drive = drive_harness.extras["drive"]
    storage = drive_harness.open()
    drive.quota_bytes = sum(len(item.data) for item in drive.files.values()) + 1000
    with pytest.raises(StorageFull) as error:
        storage.put("too-big", io.BytesIO(payload(5000)))
    assert str(error.value) == (
        f"storage {storage.display}: Drive storage quota exceeded writing too-big"
    )
    assert list(storage.list_objects()) == []


def test_drive_touches_no_file_id_outside_its_folder(drive_harness: Harness) -> None:
    drive = drive_harness.extras["drive"]
    drive_harness.plant_neighbours()
    outside = set(drive_harness.extras["planted"].values()) | {drive_harness.extras["other"]}
    drive.touched.clear()
    storage = drive_harness.open()
    storage.put("a", io.BytesIO(b"a"))
    list(storage.list_objects())
    for name in ("a", "keep", "loose"):
        storage.delete(name)
    storage.clean_partials()
    assert drive.touched
    assert not drive.touched & outside


def test_drive_key_file_problems_are_one_line(tmp_path: Path, drive: FakeDrive) -> None:
    cases = {
        "absent.json": None,
        "garbage.json": "not json",
        "user.json": '{"type": "authorized_user"}',
    }
    for file_name, content in cases.items():
        path = tmp_path / file_name
        if content is not None:
            path.write_text(content)
        target = StorageTarget(url="gdrive://f", credentials_file=path, api_base_url=drive.base_url)
        with pytest.raises(StorageAuthError) as error:
            open_storage(target)
        assert "\n" not in str(error.value)
        assert str(path) in str(error.value)


# ---------------------------------------------------------------- SFTP


def test_sftp_host_key_setting_pins_the_server(sshd: SshServer, tmp_path: Path) -> None:
    folder = sshd.home / "pinned"
    folder.mkdir(exist_ok=True)
    good = StorageTarget(url=sshd.url(folder), key_file=sshd.key_file, host_key=sshd.host_key_line)
    with open_storage(good) as storage:
        storage.put("x", io.BytesIO(b"x"))
        assert [info.name for info in storage.list_objects()] == ["x"]
    _keygen(tmp_path / "impostor", "impostor")
    impostor = " ".join((tmp_path / "impostor.pub").read_text().split()[:2])
    bad = good.model_copy(update={"host_key": impostor})
    with open_storage(bad) as storage, pytest.raises(StorageAuthError, match="host key"):
        list(storage.list_objects())
    garbage = good.model_copy(update={"host_key": "ssh-ed25519 not-base64!"})
    with open_storage(garbage) as storage, pytest.raises(StorageError, match="host_key is not"):
        list(storage.list_objects())


def test_sftp_folder_under_the_login_directory(sshd: SshServer) -> None:
    (sshd.home / "in-home").mkdir(exist_ok=True)
    target = StorageTarget(
        url=f"sftp://{sshd.user}@{sshd.host}:{sshd.port}/~/in-home",
        key_file=sshd.key_file,
        known_hosts=sshd.known_hosts,
    )
    with open_storage(target) as storage:
        storage.put("sub/x", io.BytesIO(b"at home"))
        assert [info.name for info in storage.list_objects()] == ["sub/x"]
    assert (sshd.home / "in-home" / "sub" / "x").read_bytes() == b"at home"


# ---------------------------------------------------------------- disk full


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (root only; skipped elsewhere)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {result.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_local_disk_full_is_storage_full_and_leaves_nothing(tmp_path: Path) -> None:
    with tiny_filesystem(tmp_path / "small") as root:
        storage = open_storage(StorageTarget(url=str(root)))
        storage.put("fits", io.BytesIO(b"x" * 1000))
        with pytest.raises(StorageFull) as error:
            storage.put("too-big", io.BytesIO(payload(2 * 1024 * 1024)))
        assert str(error.value) == f"storage {root}: no space left writing too-big"
        assert sorted(os.listdir(root)) == ["fits"]


def test_sftp_disk_full_is_storage_full_and_leaves_nothing(sshd: SshServer) -> None:
    with tiny_filesystem(sshd.home / "small") as root:
        target = StorageTarget(
            url=sshd.url(root), key_file=sshd.key_file, known_hosts=sshd.known_hosts
        )
        with open_storage(target) as storage:
            storage.put("fits", io.BytesIO(b"x" * 1000))
            with pytest.raises(StorageFull) as error:
                storage.put("too-big", io.BytesIO(payload(2 * 1024 * 1024)))
            assert str(error.value) == f"storage {storage.display}: no space left writing too-big"
            assert [info.name for info in storage.list_objects()] == ["fits"]
        assert sorted(os.listdir(root)) == ["fits"]


# ---------------------------------------------------------------- S3


def test_s3_interrupted_multipart_upload_is_aborted(seaweed: SeaweedServer) -> None:
    client = seaweed.client()
    prefix = "aborted-case"
    target = StorageTarget(
        url=f"s3://{BUCKET}/{prefix}",
        endpoint_url=seaweed.endpoint_url,
        access_key_id=seaweed.uploader.access_key_id,
        secret_access_key=seaweed.uploader.secret_access_key,
        chunk_size_bytes=5 * 1024 * 1024,
    )

    class Dies(io.RawIOBase):
        given = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            if self.given > 7 * 1024 * 1024:
                raise OSError("pipe from the encryptor broke")
            self.given += len(buffer)
            buffer[:] = b"\x01" * len(buffer)
            return len(buffer)

    with open_storage(target) as storage:
        with pytest.raises(OSError, match="pipe from the encryptor broke"):
            storage.put("big", io.BufferedReader(Dies()))
        assert list(storage.list_objects()) == []
    uploads = client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    assert uploads.get("Uploads", []) == []


# ---------------------------------------------------------------- local


def test_local_links_never_lead_out_of_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    secret = tmp_path / "outside.txt"
    secret.write_text("not yours")
    (root / "link").symlink_to(secret)
    (root / "linked-dir").symlink_to(tmp_path)
    storage = open_storage(StorageTarget(url=str(root)))
    assert list(storage.list_objects()) == []
    with pytest.raises(ObjectNotFound), storage.get("link"):
        pass
    with pytest.raises(ObjectNotFound):
        storage.stat("link")
    with pytest.raises(StorageError, match="outside the folder"):
        storage.put("linked-dir/planted", io.BytesIO(b"x"))
    storage.delete("link")  # removes the link only, never its target
    assert secret.read_text() == "not yours"
    assert not (tmp_path / "planted").exists()


def _descendants(pid: int) -> list[int]:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    found = [int(child) for child in children]
    return found + [grandchild for child in found for grandchild in _descendants(child)]


# paramiko's read-ahead thread (behind `readv`) dies noisily when the connection goes; the
# reader itself gets the failure, which is what this test checks.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_sftp_connection_dropped_mid_read_is_unavailable_then_reconnects(
    sshd: SshServer,
) -> None:
    folder = sshd.home / "dropped"
    folder.mkdir(exist_ok=True)
    target = StorageTarget(
        url=sshd.url(folder), key_file=sshd.key_file, known_hosts=sshd.known_hosts
    )
    data = payload(12 * 1024 * 1024)
    with open_storage(target) as storage:
        storage.put("big", io.BytesIO(data))
        dropped = pytest.raises(StorageUnavailable, match="connection lost reading big")
        with dropped, storage.get("big") as stream:
            assert stream.read(1024) == data[:1024]
            for session in _descendants(sshd.process.pid):  # the connection's processes
                os.kill(session, 9)
            while stream.read(1024 * 1024):
                pass
        assert storage.stat("big").size == len(data)  # a new connection
        with storage.get("big") as stream:
            assert stream.read() == data


def test_urls_name_their_folder(tmp_path: Path) -> None:
    from oversight.storage.s3 import S3Storage
    from oversight.storage.sftp import SftpStorage

    home = SftpStorage(StorageTarget(url="sftp://acme@files.example.com/~/backups/"))
    assert (home.root, home.port, home.display) == (
        "backups",
        22,
        "sftp://acme@files.example.com/~/backups/",
    )
    absolute = SftpStorage(StorageTarget(url="sftp://acme@10.0.0.5:2222/srv/b%20k"))
    assert (absolute.root, absolute.port, absolute.user) == ("/srv/b k", 2222, "acme")
    with pytest.raises(StorageError, match="needs a user and a host"):
        SftpStorage(StorageTarget(url="sftp:///srv"))
    with pytest.raises(StorageError, match="put it in the password setting") as error:
        SftpStorage(StorageTarget(url="sftp://acme:s3cret@host/srv"))
    assert "s3cret" not in str(error.value)
    keys = {"access_key_id": "k", "secret_access_key": "s"}
    bucket = S3Storage(StorageTarget(url="s3://bucket/a/b/", **keys))
    assert (bucket.bucket, bucket.prefix) == ("bucket", "a/b/")
    assert S3Storage(StorageTarget(url="s3://bucket", **keys)).prefix == ""
    with pytest.raises(StorageAuthError, match="set both access_key_id and secret_access_key"):
        S3Storage(StorageTarget(url="s3://bucket", access_key_id="k"))
    with pytest.raises(StorageError, match="no backend for the scheme 'ftp'"):
        open_storage(StorageTarget(url="ftp://host/x"))
    local = open_storage(StorageTarget(url=f"file://{tmp_path}/x%20y"))
    assert local.display == f"{tmp_path}/x y"
