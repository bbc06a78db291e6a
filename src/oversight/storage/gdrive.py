"""A Google Drive folder through the Drive v3 REST API (httpx), as a service account.

Why not google-api-python-client: its discovery-built client takes a custom endpoint
(`client_options.api_endpoint`), but media uploads keep the scheme of the discovery document
(`https://www.googleapis.com/upload/…`, only the host is swapped), so a plain-HTTP test server
cannot serve uploads; the few endpoints used here are simple REST calls.

- Objects are files directly in the folder `gdrive://<folder id>`; a name with `/` is one
  file name (Drive names may hold `/`). Drive allows several files with one name: reads use
  the newest, `delete` removes them all. Only ids found by listing that folder are touched.
- `put` is a resumable upload (chunks of `chunk_size_bytes`, rounded down to 256 KiB) of a
  file named `<name>.<random>.partial`; a chunk that fails is resumed from what the server
  confirms. Drive creates the file only when the last chunk is in, so an interrupted upload
  leaves nothing. Then `md5Checksum` and `size` are compared with what was sent and only then
  the file is renamed to its final name. A mismatch deletes the partial file (if the
  credential may) and raises `ChecksumMismatch`.
- Permissions: a `put` creates and renames only, so the upload credential can be a shared
  drive "Contributor"; `delete` and `clean_partials` need "Content manager" (the prune one).
- The API base URL is `api_base_url`; tokens come from the key file's `token_uri`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import google.auth.exceptions
import httpx

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    PARTIAL_GRACE,
    PARTIAL_SUFFIX,
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageAuthError,
    StorageError,
    StorageFull,
    StorageUnavailable,
    check_name,
    partial_name,
    read_full,
)
from oversight.storage.gdrive_auth import HttpxRequest, load_credentials

FOLDER_TYPE = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,size,md5Checksum,modifiedTime"
UPLOAD_UNIT = 256 * 1024
_ALL_DRIVES = {"supportsAllDrives": "true"}
_FULL_REASONS = {"storageQuotaExceeded", "quotaExceeded", "teamDriveFileLimitExceeded"}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}


class DriveStorage(Storage):
    """Objects are files in one Drive folder; one HTTP client and token per instance."""

    def __init__(self, target: StorageTarget) -> None:
        self.folder = urlsplit(target.url).netloc or urlsplit(target.url).path.strip("/")
        self.display = f"gdrive://{self.folder}"
        if not self.folder or "'" in self.folder or "\\" in self.folder:
            raise StorageError(f"storage {target.url!r}: expected gdrive://<folder id>")
        if target.credentials_file is None:
            raise StorageAuthError(f"storage {self.display}: no credentials_file set")
        try:
            self.credentials = load_credentials(target.credentials_file)
        except ValueError as exc:
            raise StorageAuthError(f"storage {self.display}: {exc}") from exc
        self.base = target.api_base_url.rstrip("/")
        self.retries = target.retries
        self.chunk = max(UPLOAD_UNIT, target.chunk_size_bytes // UPLOAD_UNIT * UPLOAD_UNIT)
        self.http = httpx.Client(timeout=target.timeout_seconds, follow_redirects=False)
        self._folder_checked = False

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ HTTP

    def _token(self) -> str:
        if not self.credentials.valid:
            try:
                self.credentials.refresh(HttpxRequest(self.http))  # type: ignore[no-untyped-call]
            except google.auth.exceptions.TransportError as exc:
                raise StorageUnavailable(
                    f"storage {self.display}: cannot reach the token endpoint"
                ) from exc
            except (google.auth.exceptions.RefreshError, ValueError) as exc:
                raise StorageAuthError(
                    f"storage {self.display}: the service account key was refused"
                ) from exc
        return str(self.credentials.token)

    def _request(
        self,
        method: str,
        url: str,
        action: str,
        name: str,
        *,
        retry: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call with the token; transient failures retried with backoff (unless
        `retry` is false), errors mapped to one-line `StorageError`s. 308 is not an error."""
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            sent = {"Authorization": f"Bearer {self._token()}", **(headers or {})}
            try:
                response = self.http.request(method, url, headers=sent, **kwargs)
            except httpx.TransportError as exc:
                if attempt + 1 == attempts:
                    raise StorageUnavailable(
                        f"storage {self.display}: connection failed {action} {name}"
                    ) from exc
            else:
                if response.status_code < 400 or response.status_code == 308:
                    return response
                error = self._http_error(response, action, name)
                if response.status_code == 401 and attempt == 0 and attempts > 1:
                    self.credentials.token = None  # expired early: fetch a new one once
                    self.credentials.expiry = None
                    continue
                if not isinstance(error, StorageUnavailable) or attempt + 1 == attempts:
                    raise error
            time.sleep(min(0.25 * 2**attempt, 10.0))
        raise AssertionError("unreachable")

    def _http_error(self, response: httpx.Response, action: str, name: str) -> StorageError:
        where = f"storage {self.display}"
        status = response.status_code
        reason = _reason(response)
        if status == 404:
            return ObjectNotFound(f"{where}: no object {name}")
        if status == 401:
            return StorageAuthError(f"{where}: the access token was refused {action} {name}")
        if reason in _FULL_REASONS:
            return StorageFull(f"{where}: Drive storage quota exceeded {action} {name}")
        if status == 429 or status >= 500 or reason in _RATE_REASONS:
            return StorageUnavailable(f"{where}: Drive answered {status} {action} {name}")
        if status == 403:
            return StorageAuthError(f"{where}: permission denied {action} {name} ({reason})")
        return StorageError(f"{where}: Drive answered {status} {action} {name} ({reason})")

    def _check_folder(self) -> None:
        if self._folder_checked:
            return
        try:
            response = self._request(
                "GET",
                f"{self.base}/drive/v3/files/{self.folder}",
                "opening",
                "the folder",
                params={"fields": "id,mimeType,trashed", **_ALL_DRIVES},
            )
        except ObjectNotFound as exc:
            raise StorageError(
                f"storage {self.display}: the folder does not exist or is not shared with "
                "the service account"
            ) from exc
        meta = response.json()
        if meta.get("mimeType") != FOLDER_TYPE or meta.get("trashed"):
            raise StorageError(f"storage {self.display}: {self.folder} is not a folder")
        self._folder_checked = True

    def _files(self, name: str | None = None) -> list[dict[str, Any]]:
        """Files of the folder (all, or those named `name`), not trashed, any order."""
        self._check_folder()
        query = f"'{self.folder}' in parents and trashed = false"
        if name is not None:
            query += f" and name = '{_quote(name)}'"
        files: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            params = {
                "q": query,
                "fields": f"nextPageToken,files({FILE_FIELDS})",
                "pageSize": "1000",
                # A shared drive's files made by another account (the uploader's, when the
                # pruner lists) are outside the default corpus "user".
                "corpora": "allDrives",
                "includeItemsFromAllDrives": "true",
                **_ALL_DRIVES,
            }
            if page:
                params["pageToken"] = page
            body = self._request(
                "GET", f"{self.base}/drive/v3/files", "listing", name or "/", params=params
            ).json()
            files.extend(body.get("files", []))
            page = body.get("nextPageToken")
            if not page:
                return files

    def _newest(self, name: str) -> dict[str, Any]:
        found = self._files(check_name(name))
        if not found:
            raise ObjectNotFound(f"storage {self.display}: no object {name}")
        return max(found, key=lambda item: (item.get("modifiedTime", ""), item["id"]))

    # ------------------------------------------------------------------ put

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        check_name(name)
        self._check_folder()
        sha256 = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)
        partial = partial_name(name)
        headers = {"X-Upload-Content-Type": "application/octet-stream"}
        if size is not None:
            headers["X-Upload-Content-Length"] = str(size)
        session = self._request(
            "POST",
            f"{self.base}/upload/drive/v3/files",
            "writing",
            name,
            params={"uploadType": "resumable", "fields": FILE_FIELDS, **_ALL_DRIVES},
            json={"name": partial, "parents": [self.folder]},
            headers=headers,
        ).headers.get("Location")
        if not session:
            raise StorageError(f"storage {self.display}: Drive gave no upload session for {name}")
        offset = 0
        chunk = read_full(stream, self.chunk)
        while True:
            following = read_full(stream, self.chunk) if len(chunk) == self.chunk else b""
            sha256.update(chunk)
            md5.update(chunk)
            last = not following
            total = offset + len(chunk) if last else None
            if last and size is not None and total != size:
                raise StorageError(
                    f"storage {self.display}: {name} is {total} bytes, expected {size}"
                )
            result = self._send_chunk(session, chunk, offset, total, name)
            offset += len(chunk)
            if last:
                break
            chunk = following
        return self._finish(result, name, offset, sha256.hexdigest(), md5.hexdigest())

    def _send_chunk(
        self, session: str, chunk: bytes, offset: int, total: int | None, name: str
    ) -> dict[str, Any]:
        """Send `chunk` at `offset` (`total` known on the last one), resuming from what the
        server confirms after a failure. Returns the file resource after the last chunk."""
        sent = 0
        for attempt in range(self.retries + 1):
            size = "*" if total is None else str(total)
            body = chunk[sent:]
            start = offset + sent
            span = f"bytes {start}-{start + len(body) - 1}/{size}" if body else f"bytes */{size}"
            try:
                response = self._request(
                    "PUT",
                    session,
                    "writing",
                    name,
                    retry=False,
                    content=body,
                    headers={"Content-Range": span},
                )
            except StorageUnavailable:
                if attempt == self.retries:
                    raise
                time.sleep(min(0.25 * 2**attempt, 10.0))
                confirmed = self._confirmed(session, size, name)
                if isinstance(confirmed, dict):
                    return confirmed
                sent = max(0, min(len(chunk), confirmed - offset))
                continue
            if response.status_code == 308:
                confirmed = _range_end(response)
                if confirmed - offset >= len(chunk):
                    return {}
                sent = max(0, confirmed - offset)  # the server kept less: send the rest
                continue
            return dict(response.json())
        raise StorageUnavailable(f"storage {self.display}: upload of {name} did not progress")

    def _confirmed(self, session: str, size: str, name: str) -> int | dict[str, Any]:
        """Bytes the server holds for the session, or the file if it is already complete."""
        response = self._request(
            "PUT",
            session,
            "writing",
            name,
            content=b"",
            headers={"Content-Range": f"bytes */{size}"},
        )
        if response.status_code == 308:
            return _range_end(response)
        return dict(response.json())

    def _finish(
        self, meta: dict[str, Any], name: str, written: int, sha256: str, md5: str
    ) -> ObjectInfo:
        file_id = meta.get("id")
        if not file_id:
            raise StorageError(
                f"storage {self.display}: Drive did not confirm the upload of {name}"
            )
        if meta.get("md5Checksum") != md5 or int(meta.get("size", -1)) != written:
            with contextlib.suppress(StorageError):
                self._delete_id(file_id, name)
            raise ChecksumMismatch(
                f"storage {self.display}: {name} checksum after upload differs "
                "(md5Checksum); the upload was removed"
            )
        renamed = self._request(
            "PATCH",
            f"{self.base}/drive/v3/files/{file_id}",
            "renaming",
            name,
            params={"fields": FILE_FIELDS, **_ALL_DRIVES},
            json={"name": name},
        ).json()
        return ObjectInfo(
            name=name,
            size=written,
            modified=_time(renamed.get("modifiedTime")),
            sha256=sha256,
            md5=md5,
        )

    # ------------------------------------------------------------------ the rest

    @contextlib.contextmanager
    def get(self, name: str) -> Iterator[BinaryIO]:
        file_id = self._newest(name)["id"]
        request = self.http.build_request(
            "GET",
            f"{self.base}/drive/v3/files/{file_id}",
            params={"alt": "media", **_ALL_DRIVES},
            headers={"Authorization": f"Bearer {self._token()}"},
        )
        try:
            response = self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise StorageUnavailable(
                f"storage {self.display}: connection failed reading {name}"
            ) from exc
        try:
            if response.status_code >= 400:
                response.read()
                raise self._http_error(response, "reading", name)
            yield io.BufferedReader(_StreamReader(response.iter_raw(), self.display, name))
        finally:
            response.close()

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        newest: dict[str, dict[str, Any]] = {}
        for item in self._files():
            name = item.get("name", "")
            if not name.startswith(prefix) or not _valid(name):
                continue
            if name not in newest or item.get("modifiedTime", "") > newest[name].get(
                "modifiedTime", ""
            ):
                newest[name] = item
        for name in sorted(newest):
            yield _info(newest[name])

    def stat(self, name: str) -> ObjectInfo:
        return _info(self._newest(name))

    def _delete_id(self, file_id: str, name: str) -> None:
        with contextlib.suppress(ObjectNotFound):
            self._request(
                "DELETE",
                f"{self.base}/drive/v3/files/{file_id}",
                "deleting",
                name,
                params=_ALL_DRIVES,
            )

    def delete(self, name: str) -> None:
        for item in self._files(check_name(name)):
            self._delete_id(item["id"], name)

    def clean_partials(self, older_than: timedelta = PARTIAL_GRACE) -> int:
        cutoff = datetime.now(UTC) - older_than
        removed = 0
        for item in self._files():
            if (
                item.get("name", "").endswith(PARTIAL_SUFFIX)
                and _time(item.get("modifiedTime")) <= cutoff
            ):
                self._delete_id(item["id"], item["name"])
                removed += 1
        return removed


class _StreamReader(io.RawIOBase):
    """A streamed response body as a raw stream; network failures are `StorageError`s."""

    def __init__(self, chunks: Iterator[bytes], display: str, name: str) -> None:
        self._chunks = chunks
        self._pending = b""
        self._display = display
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.TransportError as exc:
                raise StorageUnavailable(
                    f"storage {self._display}: connection lost reading {self._name}"
                ) from exc
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def error_cause(response: httpx.Response) -> None:
    """HTTP errors are raised without a chained cause: the message says it all."""
    return


def _reason(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        errors = error.get("errors") or [{}]
        return str(errors[0].get("reason") or error.get("status") or response.status_code)
    except (ValueError, AttributeError):
        return str(response.status_code)


def _range_end(response: httpx.Response) -> int:
    """Bytes the server holds, from a 308's `Range: bytes=0-N` (none: 0)."""
    header = response.headers.get("Range", "")
    if not header.startswith("bytes=0-"):
        return 0
    return int(header.removeprefix("bytes=0-")) + 1


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _time(value: str | None) -> datetime:
    if not value:
        return datetime.fromtimestamp(0, tz=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _info(item: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        name=item["name"],
        size=int(item.get("size", 0)),
        modified=_time(item.get("modifiedTime")),
        md5=item.get("md5Checksum"),
    )


def _valid(name: str) -> bool:
    try:
        check_name(name)
    except StorageError:
        return False
    return True
