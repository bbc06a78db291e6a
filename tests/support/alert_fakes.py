"""Local stand-ins for the alert hub's internet services, each a real HTTP (or SMTP) server
on a free loopback port that records what it was sent: the Telegram Bot API, the WhatsApp
proxy, and an SMTP server (aiosmtpd). Failures are injected per server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

import servers


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class RecordingServer:
    """Answers every request with `answer(call)`; `fail_next(n)` makes the next n answer 500."""

    port: int = 0
    calls: list[Call] = field(default_factory=list)
    failures: int = 0
    down: bool = False  # every request fails
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, count: int) -> None:
        with self.lock:
            self.failures = count

    def answer(self, call: Call) -> tuple[int, Any]:
        return 200, {"ok": True}

    def respond(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            self.calls.append(call)
            if self.down or self.failures > 0:
                self.failures = max(0, self.failures - 1)
                return 500, {"ok": False, "description": "injected failure"}
        return self.answer(call)


@dataclass
class FakeBotApi(RecordingServer):
    """The Bot API's sendMessage and editMessageText, with message ids counting from 100.
    `throttle(seconds)` makes the next request answer 429 with `parameters.retry_after`, as
    Telegram does when a bot sends too fast."""

    next_message_id: int = 100
    retry_afters: list[int] = field(default_factory=list)

    def throttle(self, *seconds: int) -> None:
        with self.lock:
            self.retry_afters.extend(seconds)

    def respond(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            if self.retry_afters and not self.down:
                self.calls.append(call)
                wait = self.retry_afters.pop(0)
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                }
        return super().respond(call)

    def answer(self, call: Call) -> tuple[int, Any]:
        method = call.path.rsplit("/", 1)[-1]
        if method == "sendMessage":
            with self.lock:
                self.next_message_id += 1
                message_id = self.next_message_id
            chat = {"id": call.body["chat_id"]}
            return 200, {
                "ok": True,
                "result": {"message_id": message_id, "chat": chat, "text": call.body["text"]},
            }
        if method == "editMessageText":
            return 200, {"ok": True, "result": {"message_id": call.body["message_id"]}}
        return 404, {"ok": False, "description": f"unknown method {method}"}

    def sent(self, method: str = "sendMessage") -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.path.endswith("/" + method)]


@contextmanager
def serving(state: RecordingServer) -> Iterator[RecordingServer]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            status, answer = state.respond(
                Call(self.command, self.path, body, {k.lower(): v for k, v in self.headers.items()})
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = do_DELETE = _handle  # noqa: N815 - http.server names

        def log_message(self, *args: object) -> None:
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


@dataclass
class Mailbox:
    """An SMTP server's received messages; `refuse` makes it answer 451 to every message."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(  # noqa: N802 - aiosmtpd calls it by this name
        self, server: object, session: object, envelope: Any
    ) -> str:
        if self.refuse:
            return "451 injected failure"
        self.messages.append(message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=servers.free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
