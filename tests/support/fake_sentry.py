"""A local HTTP server that accepts Sentry envelopes (`POST /api/<project>/envelope/`)."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeSentry:
    port: int
    envelopes: list[list[dict[str, Any]]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/42"

    def events(self) -> list[dict[str, Any]]:
        return [item for envelope in self.envelopes for item in envelope if "exception" in item]


@contextmanager
def fake_sentry() -> Iterator[FakeSentry]:
    state = FakeSentry(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            state.raw.append(body)
            items = []
            for line in body.splitlines():
                try:
                    items.append(json.loads(line))
                except ValueError:
                    continue
            state.envelopes.append(items)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
