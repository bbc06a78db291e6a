"""The storage test servers start, answer and leave nothing behind."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

import storage_servers
from fake_drive import fake_drive


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_sshd_server_stops_and_removes_its_directory() -> None:
    with storage_servers.sshd_server() as server:
        assert _listening(server.port)
        base = server.key_file.parent
        assert server.known_hosts.read_text().startswith(f"[127.0.0.1]:{server.port} ssh-ed25519 ")
    assert server.process.poll() is not None
    assert not base.exists()


def test_seaweedfs_server_stops_and_removes_its_directory() -> None:
    with storage_servers.seaweedfs_server() as server:
        client = server.client(server.uploader)
        client.create_bucket  # noqa: B018 - the uploader's client is built like the admin's
        base = server.log_path.parent
        assert base.exists()
    assert server.process.poll() is not None
    assert not base.exists()


def test_fake_drive_refuses_what_it_does_not_speak(tmp_path: Path) -> None:
    with fake_drive(tmp_path) as drive:
        key = drive.add_account("manager")
        assert key.exists()
        anonymous = httpx.get(f"{drive.base_url}/drive/v3/files")
        assert anonymous.status_code == 401
        drive.tokens["t"] = next(iter(drive.accounts))
        headers = {"Authorization": "Bearer t"}
        other = httpx.get(f"{drive.base_url}/drive/v2/files", headers=headers)
        assert other.status_code == 400
        query = httpx.get(
            f"{drive.base_url}/drive/v3/files", params={"q": "name contains 'x'"}, headers=headers
        )
        assert query.status_code == 400
        grant = httpx.post(f"{drive.base_url}/token", data={"grant_type": "password"})
        assert grant.json() == {"error": "unsupported_grant_type"}
