"""A local Google Drive v3 server speaking exactly what `oversight.storage.gdrive` uses.

Endpoints: the OAuth token exchange (`POST /token`, a service account's signed JWT checked
against the public key of the account the test registered), folder and file metadata
(`GET /drive/v3/files/{id}`), listing with `q` (`'<folder>' in parents and trashed = false`
optionally `and name = '<name>'`, paged), download (`alt=media`), resumable upload
(`POST /upload/drive/v3/files?uploadType=resumable` then `PUT` chunks with `Content-Range`,
308 with `Range` until the last one), rename (`PATCH`) and `DELETE`. Anything else is a 400,
so the backend cannot silently depend on an endpoint the fake does not check.

Accounts have a role like a shared drive's: "manager" may delete, "contributor" may only
create, read and rename. Test hooks: `corrupt_next_upload`, `fail_chunks` (answer 503 after
keeping half of a chunk), `quota_bytes`, `page_size`, and `touched` (every file id used).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FOLDER = "application/vnd.google-apps.folder"
_QUERY = re.compile(
    r"^'(?P<parent>[^'\\]+)' in parents and trashed = false"
    r"(?: and name = '(?P<name>(?:[^'\\]|\\.)*)')?$"
)


@dataclass
class DriveFile:
    id: str
    name: str
    parent: str | None
    mime_type: str
    data: bytes = b""
    modified: str = ""

    def resource(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "modifiedTime": self.modified,
            "trashed": False,
        }
        if self.mime_type != FOLDER:
            item["size"] = str(len(self.data))
            item["md5Checksum"] = hashlib.md5(self.data, usedforsecurity=False).hexdigest()
        return item


@dataclass
class FakeDrive:
    port: int = 0
    files: dict[str, DriveFile] = field(default_factory=dict)
    accounts: dict[str, tuple[Any, str]] = field(default_factory=dict)  # email -> (key, role)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> email
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    corrupt_next_upload: bool = False
    fail_chunks: int = 0
    quota_bytes: int | None = None
    page_size: int = 1000
    chunk_puts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    key_dir: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_folder(self, name: str = "backups") -> str:
        folder = DriveFile(secrets.token_urlsafe(12), name, None, FOLDER, modified=_now())
        self.files[folder.id] = folder
        return folder.id

    def add_file(self, parent: str, name: str, data: bytes) -> str:
        item = DriveFile(secrets.token_urlsafe(12), name, parent, "application/octet-stream")
        item.data, item.modified = data, _now()
        self.files[item.id] = item
        return item.id

    def children(self, parent: str) -> list[DriveFile]:
        return [item for item in self.files.values() if item.parent == parent]

    def add_account(self, role: str = "manager", *, registered: bool = True) -> Path:
        """A service account key file whose token_uri is this server; `registered=False`
        gives a well-formed key the server does not know (a revoked or foreign key)."""
        assert self.key_dir is not None
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        email = f"{role}-{secrets.token_hex(4)}@oversight-test.iam.gserviceaccount.com"
        if registered:
            self.accounts[email] = (key.public_key(), role)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path = self.key_dir / f"{email.split('@')[0]}.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "oversight-test",
                    "private_key_id": secrets.token_hex(8),
                    "private_key": pem,
                    "client_email": email,
                    "client_id": "1",
                    "token_uri": f"{self.base_url}/token",
                }
            )
        )
        return path


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, reason: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "errors": [{"reason": reason}], "message": reason}}


class _Handler(BaseHTTPRequestHandler):
    state: FakeDrive
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body in one write: no delayed-ACK stall per request

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        raw = (
            body
            if isinstance(body, bytes)
            else (b"" if body is None else json.dumps(body).encode())
        )
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if not isinstance(body, bytes) and body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _account(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        email = self.state.tokens.get(header.removeprefix("Bearer "))
        if email is None:
            return None
        return email, self.state.accounts[email][1]

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        body = self._body()
        if method == "POST" and parts.path == "/token":
            self._reply(*self._token(body))
            return
        account = self._account()
        if account is None:
            self._reply(*_error(401, "authError"))
            return
        with self.state.lock:
            result = self._api(method, parts.path, query, body, account[1])
        if len(result) == 2:
            self._reply(result[0], result[1])
        else:
            self._reply(result[0], result[1], result[2])

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    # -- OAuth

    def _token(self, body: bytes) -> tuple[int, dict[str, Any]]:
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}
        assertion = form.get("assertion", "")
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False})["iss"]
            public_key, _role = self.state.accounts[issuer]
            jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                # google-auth signs for Google's token audience whatever the token_uri is
                audience=["https://oauth2.googleapis.com/token", f"{self.state.base_url}/token"],
            )
        except (KeyError, jwt.PyJWTError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        token = secrets.token_urlsafe(24)
        self.state.tokens[token] = issuer
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    # -- Drive

    def _api(
        self, method: str, path: str, query: dict[str, str], body: bytes, role: str
    ) -> tuple[Any, ...]:
        state = self.state
        if path == "/drive/v3/files" and method == "GET":
            return self._list(query)
        if path == "/upload/drive/v3/files" and query.get("uploadType") == "resumable":
            if method == "POST":
                return self._start_upload(json.loads(body or b"{}"))
            if method == "PUT":
                return self._upload_chunk(query.get("upload_id", ""), body)
        match = re.fullmatch(r"/drive/v3/files/([^/]+)", path)
        if match is None:
            return _error(400, "badRequest")
        file_id = match.group(1)
        state.touched.add(file_id)
        item = state.files.get(file_id)
        if item is None:
            return _error(404, "notFound")
        if method == "GET":
            if query.get("alt") == "media":
                return 200, item.data
            return 200, item.resource()
        if method == "PATCH":
            changes = json.loads(body or b"{}")
            item.name = changes.get("name", item.name)
            item.modified = _now()
            return 200, item.resource()
        if method == "DELETE":
            if role != "manager":
                return _error(403, "insufficientFilePermissions")
            del state.files[file_id]
            return 204, None
        return _error(400, "badRequest")

    def _list(self, query: dict[str, str]) -> tuple[Any, ...]:
        match = _QUERY.match(query.get("q", ""))
        if match is None:
            return _error(400, "invalidQuery")
        if (query.get("corpora"), query.get("includeItemsFromAllDrives")) != ("allDrives", "true"):
            # Drive's default corpus ("user") hides shared-drive files another account made.
            return _error(400, "corporaRequired")
        name = match.group("name")
        if name is not None:
            name = re.sub(r"\\(.)", r"\1", name)
        found = sorted(
            (
                item
                for item in self.state.children(match.group("parent"))
                if name is None or item.name == name
            ),
            key=lambda item: item.id,  # not name order: the client must sort
        )
        start = int(query.get("pageToken") or 0)
        page = found[start : start + self.state.page_size]
        result: dict[str, Any] = {"files": [item.resource() for item in page]}
        if start + self.state.page_size < len(found):
            result["nextPageToken"] = str(start + self.state.page_size)
        return 200, result

    def _start_upload(self, meta: dict[str, Any]) -> tuple[Any, ...]:
        parents = meta.get("parents") or []
        parent = self.state.files.get(parents[0]) if parents else None
        if parent is None or parent.mime_type != FOLDER:
            return _error(404, "notFound")
        upload_id = secrets.token_urlsafe(12)
        self.state.sessions[upload_id] = {"meta": meta, "data": bytearray()}
        location = (
            f"{self.state.base_url}/upload/drive/v3/files"
            f"?uploadType=resumable&upload_id={upload_id}"
        )
        return 200, {}, {"Location": location}

    def _upload_chunk(self, upload_id: str, body: bytes) -> tuple[Any, ...]:
        state = self.state
        session = state.sessions.get(upload_id)
        if session is None:
            return _error(404, "notFound")
        data: bytearray = session["data"]
        span = self.headers.get("Content-Range", "")
        match = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", span)
        if match is None:
            return _error(400, "badContentRange")
        total = None if match.group(3) == "*" else int(match.group(3))
        if match.group(1) is not None:
            start = int(match.group(1))
            if start != len(data) or int(match.group(2)) - start + 1 != len(body):
                return self._incomplete(data)
            state.chunk_puts += 1
            if state.fail_chunks > 0 and state.chunk_puts > 1:
                state.fail_chunks -= 1
                data.extend(body[: len(body) // 2])  # kept half, then "the connection broke"
                return _error(503, "backendError")
            data.extend(body)
        if total is None or len(data) < total:
            return self._incomplete(data)
        if len(data) > total:
            return _error(400, "badContentRange")
        used = sum(len(item.data) for item in state.files.values())
        if state.quota_bytes is not None and used + len(data) > state.quota_bytes:
            del state.sessions[upload_id]
            return _error(403, "storageQuotaExceeded")
        stored = bytes(data)
        if state.corrupt_next_upload and stored:
            state.corrupt_next_upload = False
            stored = bytes([stored[0] ^ 0xFF]) + stored[1:]
        meta = session["meta"]
        item = DriveFile(
            secrets.token_urlsafe(12), meta["name"], meta["parents"][0], "application/octet-stream"
        )
        item.data, item.modified = stored, _now()
        state.files[item.id] = item
        del state.sessions[upload_id]
        return 200, item.resource()

    @staticmethod
    def _incomplete(data: bytearray) -> tuple[Any, ...]:
        headers = {"Range": f"bytes=0-{len(data) - 1}"} if data else {}
        return 308, None, headers


@contextmanager
def fake_drive(key_dir: Path) -> Iterator[FakeDrive]:
    """Serve a fresh fake Drive on a free loopback port; key files are written to `key_dir`."""
    state = FakeDrive(key_dir=key_dir)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
