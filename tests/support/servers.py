"""Real PostgreSQL and Redis servers for the test suite.

Each context manager starts a private server on 127.0.0.1 on a free port, in a
fresh temporary directory, waits until it answers, yields a small handle and,
on exit (normal or exceptional), stops the server and removes the directory.
No mocks, no Docker: the Debian packages ``postgresql`` and ``redis-server``
must be installed (``scripts/ensure-system-deps.sh`` does that).

PostgreSQL refuses to run as root. When the current process is root, every
PostgreSQL binary is run as the ``postgres`` system user through ``runuser``,
and the cluster lives in a ``mkdtemp`` directory under the system temporary
directory that is chowned to that user (pytest's own ``tmp_path`` is 0700
root-owned, so ``postgres`` could not reach it). As a non-root user the
binaries are run directly.

This module is imported as a plain top-level module (``import servers``) after
``tests/support`` is put on ``sys.path``; it uses only the stdlib and psycopg.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

__all__ = [
    "PostgresServer",
    "RedisServer",
    "ServerStartError",
    "free_port",
    "postgres_bindir",
    "postgres_server",
    "redis_server",
]

LOOPBACK = "127.0.0.1"
PG_SUPERUSER = "postgres"
PG_SYSTEM_USER = "postgres"
START_TIMEOUT_S = 30.0
_START_ATTEMPTS = 3
_LOG_TAIL_LINES = 40


class ServerStartError(RuntimeError):
    """A test server could not be started; the message ends with its log tail."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free when this function returned.

    The port is found by binding to port 0 and closing the socket, so another
    process may take it before the caller binds; the server context managers
    retry with a new port when that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"(log {path} is empty)"


def _clean_env() -> dict[str, str]:
    """The current environment without libpq/PG* variables that could redirect tools."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


# --------------------------------------------------------------------------- #
# PostgreSQL
# --------------------------------------------------------------------------- #


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def postgres_bindir() -> Path:
    """Return the directory holding ``pg_ctl`` of the newest installed PostgreSQL.

    Looks in Debian's ``/usr/lib/postgresql/<version>/bin`` first (newest
    version wins), then falls back to ``pg_ctl`` on ``PATH``.

    Raises:
        ServerStartError: no PostgreSQL server binaries are installed.
    """
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_version_key)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ServerStartError(
        "PostgreSQL server binaries (pg_ctl) not found in /usr/lib/postgresql/*/bin "
        "or on PATH; run scripts/ensure-system-deps.sh"
    )


def _run_as_postgres() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class PostgresServer:
    """Handle on a running private PostgreSQL cluster.

    ``user`` is a superuser reachable without password (``trust`` auth) over
    TCP on ``host:port`` and over the unix socket in ``socket_dir``.
    """

    host: str
    port: int
    user: str
    data_dir: Path
    log_path: Path
    socket_dir: Path
    bindir: Path

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL for ``database``, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5433/db``.

        Pass ``driver="postgresql"`` for a libpq URI usable by ``psycopg.connect``.
        """
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """libpq connection string for ``database`` (for ``psycopg.connect``)."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=database)

    def create_database(self, name: str) -> None:
        """Create database ``name`` (quoted as an identifier) owned by ``user``.

        Raises ``psycopg.errors.DuplicateDatabase`` if it already exists.
        """
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def bin(self, name: str) -> Path:
        """Path of the binary ``name`` (e.g. ``pg_dump``) of this server's version.

        Raises:
            FileNotFoundError: that binary is not installed.
        """
        path = self.bindir / name
        if not path.is_file():
            raise FileNotFoundError(f"{name} not found in {self.bindir}")
        return path

    def stop(self) -> None:
        """Stop the server (fast shutdown: connections are closed), keeping its data."""
        _pg_stop(self.bindir, self.data_dir.parent, self.data_dir)

    def start(self) -> None:
        """Start the stopped server again on the same port, and wait until it answers."""
        result = _run_pg(
            self.bindir / "pg_ctl",
            ["start", "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
             "-t", str(int(START_TIMEOUT_S))],
            cwd=self.data_dir.parent,
            timeout=START_TIMEOUT_S + 10,
        )  # fmt: skip
        if result.returncode != 0:
            raise ServerStartError(f"pg_ctl start failed:\n{_log_tail(self.log_path)}")
        _pg_ready(self.conninfo(), time.monotonic() + START_TIMEOUT_S)

    def command(self, name: str, *args: str) -> list[str]:
        """argv running binary ``name`` of this version (as ``postgres`` when root).

        Useful for server-side tools (``pg_ctl``, ``pg_basebackup`` into a
        directory owned by ``postgres``); client tools like ``pg_dump`` can be
        run directly with :meth:`bin`.
        """
        return _pg_argv(self.bin(name), *args)


def _pg_argv(binary: Path, *args: str) -> list[str]:
    argv = [str(binary), *args]
    if _run_as_postgres():
        return ["runuser", "-u", PG_SYSTEM_USER, "--", *argv]
    return argv


def _run_pg(
    binary: Path, args: Sequence[str], cwd: Path, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    # cwd must be readable by `postgres`: the caller's cwd (e.g. /root/...) may not be.
    return subprocess.run(
        _pg_argv(binary, *args),
        cwd=cwd,
        env=_clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _make_pg_base_dir() -> Path:
    """A fresh 0700 dir under the system temp dir, owned by ``postgres`` if root."""
    base = Path(tempfile.mkdtemp(prefix="oversight-pg-"))
    if _run_as_postgres():
        try:
            pw = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            raise ServerStartError(
                f"running as root but system user {PG_SYSTEM_USER!r} does not exist; "
                "run scripts/ensure-system-deps.sh"
            ) from None
        os.chown(base, pw.pw_uid, pw.pw_gid)
        if not _is_reachable_by(base, pw):
            shutil.rmtree(base, ignore_errors=True)
            raise ServerStartError(
                f"{base} is not reachable by user {PG_SYSTEM_USER!r} (a parent dir "
                "lacks o+x); set TMPDIR to a directory it can traverse, e.g. /tmp"
            )
    return base


def _is_reachable_by(path: Path, pw: pwd.struct_passwd) -> bool:
    for parent in path.parents:
        st = parent.stat()
        if st.st_uid == pw.pw_uid:
            mask = 0o100
        elif st.st_gid == pw.pw_gid:
            mask = 0o010
        else:
            mask = 0o001
        if not st.st_mode & mask:
            return False
    return True


def _initdb(bindir: Path, base: Path, data_dir: Path) -> None:
    locale = "C.UTF-8" if _has_c_utf8_locale() else "C"
    result = _run_pg(
        bindir / "initdb",
        [
            "-D", str(data_dir),
            "-U", PG_SUPERUSER,
            "-A", "trust",
            "--encoding=UTF8",
            f"--locale={locale}",
            "--no-sync",
            "--no-instructions",
        ],
        cwd=base,
    )  # fmt: skip
    if result.returncode != 0:
        raise ServerStartError(
            f"initdb failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def _has_c_utf8_locale() -> bool:
    return any(Path("/usr/lib/locale", name).exists() for name in ("C.utf8", "C.UTF-8"))


def _write_pg_config(data_dir: Path, port: int, socket_dir: Path) -> None:
    # postgresql.auto.conf is read last, so these settings win over postgresql.conf.
    settings = {
        "listen_addresses": f"'{LOOPBACK}'",
        "port": str(port),
        "unix_socket_directories": f"'{socket_dir}'",
        "max_connections": "100",
        "shared_buffers": "'16MB'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "logging_collector": "off",
        "log_min_messages": "warning",
        "timezone": "'UTC'",
    }
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    with (data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as fh:
        fh.write(lines)


def _pg_ready(conninfo: str, deadline: float) -> None:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(conninfo, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.05)
    raise TimeoutError(f"server did not accept connections: {last_error}")


def _pg_stop(bindir: Path, base: Path, data_dir: Path) -> None:
    """Stop the cluster in ``data_dir`` (immediate mode), else kill its postmaster."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    result = _run_pg(
        bindir / "pg_ctl",
        ["stop", "-D", str(data_dir), "-m", "immediate", "-w", "-t", "30"],
        cwd=base,
    )
    if result.returncode == 0:
        return
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    _kill_and_wait(pid, 10.0)


def _kill_and_wait(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGQUIT)  # postgres: immediate shutdown
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Run a throw-away PostgreSQL cluster for the duration of the ``with`` block.

    Contract:
      * ``initdb`` (UTF8, locale C.UTF-8 when available else C, ``trust`` auth,
        superuser ``postgres``) in a fresh temp directory, started with
        ``pg_ctl`` listening only on 127.0.0.1 on a free port, its unix socket
        in a private directory; durability is off (fsync, synchronous_commit,
        full_page_writes) for speed, so the data is not crash-safe.
      * Yields once the server accepts connections (bounded by ~30 s; on
        timeout or failure raises :class:`ServerStartError` with the server
        log tail). A port taken in between is retried with another port.
      * On exit, also after an exception in the body or a failed start: the
        server is stopped (``pg_ctl stop -m immediate``, falling back to
        killing the postmaster) and the whole directory is removed.
      * As root the binaries run as the ``postgres`` system user.
    """
    bindir = postgres_bindir()
    base = _make_pg_base_dir()
    data_dir = base / "data"
    socket_dir = base / "socket"
    log_path = base / "postgresql.log"
    try:
        socket_dir.mkdir(mode=0o700)
        if _run_as_postgres():
            pw = pwd.getpwnam(PG_SYSTEM_USER)
            os.chown(socket_dir, pw.pw_uid, pw.pw_gid)
        _initdb(bindir, base, data_dir)
        server: PostgresServer | None = None
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = free_port()
            # Appended on each attempt; the last occurrence of a setting wins.
            _write_pg_config(data_dir, port, socket_dir)
            candidate = PostgresServer(
                host=LOOPBACK,
                port=port,
                user=PG_SUPERUSER,
                data_dir=data_dir,
                log_path=log_path,
                socket_dir=socket_dir,
                bindir=bindir,
            )
            deadline = time.monotonic() + START_TIMEOUT_S
            result = _run_pg(
                bindir / "pg_ctl",
                ["start", "-D", str(data_dir), "-l", str(log_path), "-w",
                 "-t", str(int(START_TIMEOUT_S))],
                cwd=base,
                timeout=START_TIMEOUT_S + 10,
            )  # fmt: skip
            if result.returncode == 0:
                try:
                    _pg_ready(candidate.conninfo(), deadline)
                except TimeoutError as exc:
                    raise ServerStartError(
                        f"PostgreSQL on port {port} not ready: {exc}\n"
                        f"--- {log_path} (tail) ---\n{_log_tail(log_path)}"
                    ) from None
                server = candidate
                break
            log = _log_tail(log_path)
            _pg_stop(bindir, base, data_dir)
            if "Address already in use" in log and attempt < _START_ATTEMPTS:
                if log_path.exists():
                    log_path.write_bytes(b"")
                continue
            raise ServerStartError(
                f"pg_ctl start failed (exit {result.returncode}) on port {port}:\n"
                f"{result.stdout}{result.stderr}\n--- {log_path} (tail) ---\n{log}"
            )
        assert server is not None
        yield server
    finally:
        try:
            if data_dir.exists():
                _pg_stop(bindir, base, data_dir)
        finally:
            shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Redis
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class RedisServer:
    """Handle on a running private redis-server (no persistence, no password)."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{self.host}:{self.port}/0"

    def ping(self, timeout: float = 1.0) -> bool:
        """True if the server answers ``PING`` with ``+PONG`` within ``timeout`` s."""
        return _redis_ping(self.host, self.port, timeout)


def _redis_ping(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = b""
            while b"\r\n" not in reply:
                chunk = sock.recv(64)
                if not chunk:
                    break
                reply += chunk
            return reply.startswith(b"+PONG")
    except OSError:
        return False


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServerStartError("redis-server not found on PATH; run scripts/ensure-system-deps.sh")
    return found


def _stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def redis_server(base_dir: Path | None = None) -> Iterator[RedisServer]:
    """Run a throw-away redis-server for the duration of the ``with`` block.

    Contract:
      * ``redis-server`` in the foreground (``subprocess.Popen``) on 127.0.0.1
        on a free port, without persistence (``--save ""``, no AOF), working
        directory a fresh ``mkdtemp`` directory created inside ``base_dir``
        (default: the system temp dir), log in that directory.
      * Yields once it answers ``PING`` (bounded by ~30 s; otherwise raises
        :class:`ServerStartError` with the log tail). A port taken in between
        is retried with another port.
      * On exit, also after an exception in the body: SIGTERM, wait up to 5 s,
        then SIGKILL; the directory is removed.
    """
    binary = _redis_binary()
    work_dir = Path(tempfile.mkdtemp(prefix="oversight-redis-", dir=base_dir))
    log_path = work_dir / "redis.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        server: RedisServer | None = None
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = free_port()
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    [
                        binary,
                        "--bind", LOOPBACK,
                        "--port", str(port),
                        "--save", "",
                        "--appendonly", "no",
                        "--dir", str(work_dir),
                        "--daemonize", "no",
                    ],
                    cwd=work_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline and process.poll() is None:
                if _redis_ping(LOOPBACK, port, 0.5):
                    server = RedisServer(LOOPBACK, port, process, work_dir, log_path)
                    break
                time.sleep(0.02)
            if server is not None:
                break
            _stop_process(process)
            log_text = _log_tail(log_path)
            if "Address already in use" in log_text and attempt < _START_ATTEMPTS:
                log_path.write_bytes(b"")
                continue
            raise ServerStartError(
                f"redis-server on port {port} did not answer PING "
                f"(exit code {process.returncode}):\n"
                f"--- {log_path} (tail) ---\n{log_text}"
            )
        assert server is not None
        yield server
    finally:
        try:
            if process is not None:
                _stop_process(process)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
