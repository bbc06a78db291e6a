"""An SFTP folder (paramiko): a hosting account such as cPanel's, or any OpenSSH server.

- The server's host key must be known (`host_key` setting, the `known_hosts` file, or
  ~/.ssh/known_hosts); an unknown or changed key is refused, never trusted on first use.
- `put` writes `<name>.<random>.partial` in the object's folder, checks its size and re-reads
  it to compare the SHA-256, then renames it over the final name with OpenSSH's
  `posix-rename@openssh.com` (atomic replace). A server without that extension gets a plain
  SFTP rename, which refuses an existing target: the old object is then removed first (not
  atomic; only on such servers).
- Disk full: SFTP reports ENOSPC as the generic SSH_FX_FAILURE, like many other faults, and
  paramiko's pipelined writes may not report it at all (the file just comes out short). On a
  failed write or a short file the backend asks the server for `statvfs@openssh.com`; when
  less than one chunk is free the failure is `StorageFull`. Otherwise (or when the server
  cannot tell, or a quota rather than the disk is full) it is a plain `StorageError` /
  `ChecksumMismatch` whose message says the disk or quota may be full.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import posixpath
import socket
import stat as stat_module
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

import paramiko
from paramiko.sftp import CMD_EXTENDED

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    CHUNK_SIZE,
    PARTIAL_GRACE,
    PARTIAL_SUFFIX,
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    Source,
    Storage,
    StorageAuthError,
    StorageError,
    StorageFull,
    StorageUnavailable,
    check_name,
    one_line,
    partial_name,
)

DEFAULT_PORT = 22


class SftpStorage(Storage):
    """Objects are files under `root` on an SFTP server; one SSH connection per instance."""

    def __init__(self, target: StorageTarget) -> None:
        parts = urlsplit(target.url)
        if parts.password is not None:  # never echo such a URL: it holds a secret
            raise StorageError(
                "storage sftp: the URL holds a password; put it in the password setting"
            )
        if not parts.hostname or not parts.username:
            raise StorageError(
                f"storage {target.url!r}: an SFTP URL needs a user and a host "
                "(sftp://user@host:22/folder)"
            )
        self.target = target
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORT
        self.user = unquote(parts.username)
        path = unquote(parts.path)
        # `/~/folder` is relative to the login directory; anything else is absolute.
        self.root = path[3:] if path.startswith("/~/") else (path or "/")
        if path in ("/~", "/~/"):
            self.root = "."
        self.root = self.root.rstrip("/") or "/"
        port = "" if self.port == DEFAULT_PORT else f":{self.port}"
        self.display = f"sftp://{self.user}@{self.host}{port}/{path.lstrip('/')}"
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    # ------------------------------------------------------------------ connection

    def _host_keys_into(self, client: paramiko.SSHClient) -> None:
        target = self.target
        if target.host_key:
            fields = target.host_key.split()
            if len(fields) >= 3 and not fields[0].startswith(("ssh-", "ecdsa-", "sk-")):
                fields = fields[1:]
            try:
                key = paramiko.PKey.from_type_string(fields[0], _b64(fields[1]))
            except (IndexError, ValueError, paramiko.SSHException) as exc:
                raise StorageError(
                    f"storage {self.display}: host_key is not a public key line "
                    "(expected 'ssh-ed25519 AAAA…')"
                ) from exc
            host = self.host if self.port == DEFAULT_PORT else f"[{self.host}]:{self.port}"
            client.get_host_keys().add(host, key.get_name(), key)
        elif target.known_hosts is not None:
            try:
                client.load_host_keys(str(target.known_hosts))
            except OSError as exc:
                raise StorageError(
                    f"storage {self.display}: cannot read known_hosts {target.known_hosts}: "
                    f"{exc.strerror or exc}"
                ) from exc
        else:
            client.load_system_host_keys()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())

    def _connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        target = self.target
        if target.password is None and target.key_file is None:
            raise StorageAuthError(f"storage {self.display}: no password and no key_file set")
        if target.key_file is not None and not target.key_file.is_file():
            raise StorageError(f"storage {self.display}: key_file {target.key_file} not found")
        client = paramiko.SSHClient()
        try:
            self._host_keys_into(client)
            client.connect(
                self.host,
                port=self.port,
                username=self.user,
                password=_secret(target.password),
                key_filename=str(target.key_file) if target.key_file else None,
                passphrase=_secret(target.key_passphrase),
                timeout=target.timeout_seconds,
                banner_timeout=target.timeout_seconds,
                auth_timeout=target.timeout_seconds,
                channel_timeout=target.timeout_seconds,
                allow_agent=False,
                look_for_keys=False,
            )
            sftp = client.open_sftp()
            sftp.get_channel().settimeout(target.timeout_seconds)  # type: ignore[union-attr]
            self._check_root(sftp)
        except BaseException as exc:
            client.close()
            if isinstance(exc, StorageError):
                raise
            if isinstance(exc, Exception):
                raise self._connect_error(exc) from exc
            raise
        self._client, self._sftp = client, sftp
        return sftp

    def _connect_error(self, exc: Exception) -> StorageError:
        where = f"storage {self.display}"
        if isinstance(exc, paramiko.BadHostKeyException):
            return StorageAuthError(f"{where}: the server's host key does not match known_hosts")
        if isinstance(exc, paramiko.AuthenticationException):
            return StorageAuthError(f"{where}: authentication failed (user, password or key)")
        if isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc):
            return StorageAuthError(f"{where}: the server's host key is not in known_hosts")
        if isinstance(exc, paramiko.PasswordRequiredException):
            return StorageAuthError(f"{where}: key_file is encrypted and no key_passphrase set")
        if isinstance(exc, socket.gaierror):
            return StorageUnavailable(f"{where}: unknown host {self.host}")
        if isinstance(exc, TimeoutError | socket.timeout):
            return StorageUnavailable(f"{where}: timed out")
        if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError | ConnectionError):
            return StorageUnavailable(f"{where}: cannot connect to {self.host}:{self.port}")
        if isinstance(exc, paramiko.SSHException | EOFError | OSError):
            return StorageUnavailable(f"{where}: connection failed: {_one_line(exc)}")
        return StorageError(f"{where}: {type(exc).__name__}: {_one_line(exc)}")

    def _check_root(self, sftp: paramiko.SFTPClient) -> None:
        try:
            mode = sftp.stat(self.root).st_mode
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise StorageError(
                    f"storage {self.display}: the folder {self.root} does not exist"
                ) from exc
            raise
        if mode is None or not stat_module.S_ISDIR(mode):
            raise StorageError(f"storage {self.display}: {self.root} is not a folder")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._sftp = None

    def _path(self, name: str) -> str:
        return posixpath.join(self.root, check_name(name))

    def _error(self, action: str, name: str, exc: BaseException) -> StorageError:
        """One line for a failed operation; a dropped connection is closed for the next call."""
        where = f"storage {self.display}"
        if isinstance(exc, StorageError):
            return exc
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            return ObjectNotFound(f"{where}: no object {name}")
        if isinstance(exc, OSError) and exc.errno == errno.EACCES:
            return StorageAuthError(f"{where}: permission denied {action} {name}")
        if isinstance(exc, paramiko.SSHException | EOFError | socket.timeout | TimeoutError) or (
            isinstance(exc, OSError) and exc.errno is None and "closed" in str(exc).lower()
        ):
            self.close()
            return StorageUnavailable(f"{where}: connection lost {action} {name}")
        return StorageError(f"{where}: {action} {name} failed: {_one_line(exc)}")

    # ------------------------------------------------------------------ operations

    def _makedirs(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        relative = posixpath.relpath(folder, self.root)
        if relative == ".":
            return
        current = self.root
        for part in relative.split("/"):
            current = posixpath.join(current, part)
            try:
                sftp.mkdir(current)
            except OSError:
                mode = sftp.stat(current).st_mode  # exists (a folder) or really failed
                if mode is None or not stat_module.S_ISDIR(mode):
                    raise StorageError(
                        f"storage {self.display}: {current} exists and is not a folder"
                    ) from None

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        final = self._path(name)
        sftp = self._connect()
        partial = posixpath.join(posixpath.dirname(final), partial_name(posixpath.basename(final)))
        digest = hashlib.sha256()
        written = 0
        created = False
        source = Source(stream)
        try:
            self._makedirs(sftp, posixpath.dirname(final))
            try:
                with sftp.open(partial, "wbx") as out:
                    created = True
                    out.set_pipelined(True)
                    while chunk := source.read(CHUNK_SIZE):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
            except OSError as exc:
                if source.failed:
                    raise
                raise self._write_error(sftp, partial, name, exc) from exc
            if size is not None and written != size:
                raise StorageError(
                    f"storage {self.display}: {name} is {written} bytes, expected {size}"
                )
            self._verify(sftp, partial, name, written, digest.hexdigest())
            self._rename(sftp, partial, final)
            created = False
            modified = sftp.stat(final).st_mtime
        except BaseException as exc:
            if created:
                with contextlib.suppress(Exception):
                    sftp.remove(partial)
            if isinstance(exc, Exception) and not source.failed:
                raise self._error("writing", name, exc) from exc
            raise
        return ObjectInfo(
            name=name, size=written, modified=_time(modified), sha256=digest.hexdigest()
        )

    def _write_error(
        self, sftp: paramiko.SFTPClient, partial: str, name: str, exc: OSError
    ) -> StorageError:
        if exc.errno is None and str(exc) == "Failure":  # SSH_FX_FAILURE: maybe the disk
            free = _free_bytes(sftp, posixpath.dirname(partial))
            if free is not None and free < CHUNK_SIZE:
                return StorageFull(f"storage {self.display}: no space left writing {name}")
            return StorageError(
                f"storage {self.display}: the server refused writing {name} (SSH_FX_FAILURE: "
                "disk or quota full, or another server-side fault)"
            )
        return self._error("writing", name, exc)

    def _verify(
        self, sftp: paramiko.SFTPClient, partial: str, name: str, size: int, sha256: str
    ) -> None:
        """Size, then SHA-256 of a re-read. Pipelined writes do not report every failed write
        (paramiko drops their status), so a short file is where a full disk shows up."""
        remote_size = sftp.stat(partial).st_size or 0
        if remote_size != size:
            free = _free_bytes(sftp, posixpath.dirname(partial))
            if free is not None and free < CHUNK_SIZE:
                raise StorageFull(f"storage {self.display}: no space left writing {name}")
            raise ChecksumMismatch(
                f"storage {self.display}: {name} is {remote_size} bytes on the server, "
                f"{size} were sent (disk or quota full?); the upload was removed"
            )
        reread = hashlib.sha256()
        with sftp.open(partial, "rb") as back:
            reader = _WindowedReader(back, remote_size)
            while chunk := reader.read(CHUNK_SIZE):
                reread.update(chunk)
        if reread.hexdigest() != sha256:
            raise ChecksumMismatch(
                f"storage {self.display}: {name} read back differs from what was sent; "
                "the upload was removed"
            )

    def _rename(self, sftp: paramiko.SFTPClient, partial: str, final: str) -> None:
        try:
            sftp.posix_rename(partial, final)
        except OSError as exc:
            if exc.errno is not None or "unsupported" not in str(exc).lower():
                raise
            with contextlib.suppress(FileNotFoundError):
                sftp.remove(final)
            sftp.rename(partial, final)

    @contextlib.contextmanager
    def get(self, name: str) -> Iterator[BinaryIO]:
        path = self._path(name)
        sftp = self._connect()
        try:
            attributes = sftp.lstat(path)
            if attributes.st_mode is None or not stat_module.S_ISREG(attributes.st_mode):
                raise ObjectNotFound(f"storage {self.display}: no object {name}")
            handle = sftp.open(path, "rb")
        except Exception as exc:
            raise self._error("reading", name, exc) from exc
        with handle:
            try:
                yield io.BufferedReader(_WindowedReader(handle, attributes.st_size or 0))
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise self._error("reading", name, exc) from exc

    def _walk(self, sftp: paramiko.SFTPClient, folder: str) -> Iterator[tuple[str, Any]]:
        for entry in sftp.listdir_attr(folder):
            path = posixpath.join(folder, entry.filename)
            if entry.st_mode is None:
                continue
            if stat_module.S_ISDIR(entry.st_mode):
                yield from self._walk(sftp, path)
            elif stat_module.S_ISREG(entry.st_mode):
                yield posixpath.relpath(path, self.root), entry

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        sftp = self._connect()
        try:
            found = [
                ObjectInfo(name=name, size=entry.st_size or 0, modified=_time(entry.st_mtime))
                for name, entry in self._walk(sftp, self.root)
                if name.startswith(prefix) and not name.endswith(PARTIAL_SUFFIX)
            ]
        except Exception as exc:
            raise self._error("listing", prefix or "/", exc) from exc
        yield from sorted(found, key=lambda info: info.name)

    def stat(self, name: str) -> ObjectInfo:
        path = self._path(name)
        sftp = self._connect()
        try:
            attributes = sftp.lstat(path)
        except Exception as exc:
            raise self._error("reading", name, exc) from exc
        if attributes.st_mode is None or not stat_module.S_ISREG(attributes.st_mode):
            raise ObjectNotFound(f"storage {self.display}: no object {name}")
        return ObjectInfo(
            name=name, size=attributes.st_size or 0, modified=_time(attributes.st_mtime)
        )

    def delete(self, name: str) -> None:
        path = self._path(name)
        sftp = self._connect()
        try:
            sftp.remove(path)
        except FileNotFoundError:
            return
        except Exception as exc:
            raise self._error("deleting", name, exc) from exc

    def clean_partials(self, older_than: timedelta = PARTIAL_GRACE) -> int:
        sftp = self._connect()
        cutoff = datetime.now(UTC) - older_than
        removed = 0
        try:
            for name, entry in list(self._walk(sftp, self.root)):
                if name.endswith(PARTIAL_SUFFIX) and _time(entry.st_mtime) <= cutoff:
                    with contextlib.suppress(FileNotFoundError):
                        sftp.remove(posixpath.join(self.root, name))
                        removed += 1
        except Exception as exc:
            raise self._error("cleaning", "partial uploads", exc) from exc
        return removed


class _WindowedReader(io.RawIOBase):
    """Reads an SFTP file of known size window by window with pipelined requests (paramiko's
    `readv`), so memory stays at one window whatever the file size; paramiko's `prefetch`
    would buffer the whole file when the reader is slower than the network."""

    WINDOW = 4 * 1024 * 1024
    REQUEST = 32 * 1024

    def __init__(self, handle: paramiko.SFTPFile, size: int) -> None:
        self._handle = handle
        self._size = size
        self._offset = 0
        self._window = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._window:
            if self._offset >= self._size:
                return 0
            length = min(self.WINDOW, self._size - self._offset)
            end = self._offset + length
            # Requests of one SFTP read each: paramiko splits big ranges itself but then
            # reassembles them slowly (a 4 MiB range reads ~3x slower than 128 of 32 KiB).
            ranges = [
                (start, min(self.REQUEST, end - start))
                for start in range(self._offset, end, self.REQUEST)
            ]
            data = b"".join(self._handle.readv(ranges))
            if len(data) != length:
                raise EOFError("the remote file ended early")
            self._offset += length
            self._window = memoryview(data)
        count = min(len(buffer), len(self._window))
        buffer[:count] = self._window[:count]
        self._window = self._window[count:]
        return count


def _free_bytes(sftp: paramiko.SFTPClient, folder: str) -> int | None:
    """Bytes free to the user in `folder` by OpenSSH's statvfs extension; None if unknown."""
    request: Any = getattr(sftp, "_request", None)
    if request is None:
        return None
    try:
        _, message = request(CMD_EXTENDED, "statvfs@openssh.com", folder)
        values = [message.get_int64() for _ in range(11)]
    except Exception:  # the server lacks the extension, or the connection is gone
        return None
    _bsize, frsize, _blocks, _bfree, bavail = values[:5]
    return int(frsize * bavail)


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())


def _time(timestamp: float | None) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, tz=UTC)


def _one_line(exc: BaseException) -> str:
    return one_line(str(exc)) or type(exc).__name__
