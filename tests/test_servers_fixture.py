"""Self-test of tests/support/servers.py: real PostgreSQL and Redis, then cleanup."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

import servers


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _redis(sock: socket.socket, *args: bytes) -> bytes:
    """Send one RESP command; return a simple reply line or a bulk string's bytes."""
    payload = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    sock.sendall(payload)
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        assert chunk, "redis closed the connection"
        reply += chunk
    if reply.startswith(b"$") and reply != b"$-1\r\n":
        length = int(reply[1 : reply.index(b"\r\n")])
        header_len = reply.index(b"\r\n") + 2
        while len(reply) < header_len + length + 2:
            reply += sock.recv(4096)
        return reply[header_len : header_len + length]
    return reply.rstrip(b"\r\n")


def test_free_port_is_bindable() -> None:
    port = servers.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_postgres_server_lifecycle() -> None:
    with servers.postgres_server() as pg:
        assert pg.host == "127.0.0.1"
        assert pg.url("app") == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/app"
        pg.create_database("app")
        with psycopg.connect(pg.url("app", driver="postgresql")) as conn:
            row = conn.execute("select version(), current_database()").fetchone()
        assert row is not None
        assert row[0].startswith("PostgreSQL ")
        assert row[1] == "app"
        with psycopg.connect(pg.conninfo("app")) as conn:
            settings: dict[str, str] = dict(
                conn.execute(
                    "select name, setting from pg_settings where name in "
                    "('fsync', 'server_encoding', 'listen_addresses')"
                ).fetchall()
            )
        assert settings == {
            "fsync": "off",
            "server_encoding": "UTF8",
            "listen_addresses": "127.0.0.1",
        }
        assert pg.bin("pg_dump").is_file()
        assert pg.bin("pg_dump").parent == pg.bin("pg_ctl").parent
        data_dir, port = pg.data_dir, pg.port
        assert (data_dir / "postmaster.pid").exists()
    assert not _port_open("127.0.0.1", port)
    assert not data_dir.exists()
    assert not data_dir.parent.exists()


def test_postgres_server_cleans_up_when_body_raises() -> None:
    seen = {}

    def body() -> None:
        with servers.postgres_server() as pg:
            seen.update(data_dir=pg.data_dir, port=pg.port)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        body()
    data_dir, port = seen["data_dir"], seen["port"]
    assert not _port_open("127.0.0.1", port)
    assert not data_dir.parent.exists()


def test_redis_server_lifecycle(tmp_path: Path) -> None:
    with servers.redis_server(tmp_path) as redis:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert redis.ping()
        with socket.create_connection((redis.host, redis.port), timeout=5) as sock:
            assert _redis(sock, b"PING") == b"+PONG"
            assert _redis(sock, b"SET", b"greeting", b"h\xc3\xa9llo") == b"+OK"
            assert _redis(sock, b"GET", b"greeting") == b"h\xc3\xa9llo"
            assert _redis(sock, b"CONFIG", b"GET", b"save").startswith(b"*2")
        work_dir, port, process = redis.dir, redis.port, redis.process
        assert work_dir.parent == tmp_path
    assert process.returncode is not None
    assert not _port_open("127.0.0.1", port)
    assert not work_dir.exists()
    assert list(tmp_path.iterdir()) == []
