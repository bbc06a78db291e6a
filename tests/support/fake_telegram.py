"""A local Telegram Bot API server: scripted updates out through getUpdates, every answer the
bot sends recorded (sendMessage, sendPhoto, editMessageText, answerCallbackQuery).

The bot reaches it through `OVERSIGHT_TELEGRAM__API_BASE_URL` (python-telegram-bot's
`base_url`), exactly as it reaches Telegram. Requests arrive form-encoded, or multipart when
they carry a file (a photo); values that are objects are JSON text, as the Bot API accepts.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ANSWERS = frozenset({"sendMessage", "sendPhoto", "editMessageText", "answerCallbackQuery"})
BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Oversight", "username": "oversight_bot"}


@dataclass
class Sent:
    """One call the bot made: the method, its parameters, and any files by field name."""

    method: str
    params: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def chat_id(self) -> int:
        return int(self.params["chat_id"])


@dataclass
class FakeBotApi:
    token: str
    port: int = 0
    sent: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    menus: list[dict[str, str]] = field(default_factory=list)  # setMyCommands calls
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(5000))
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- the test's side -------------------------------------------------------------------

    def message(
        self, user_id: int, text: str, *, first_name: str = "Tester", group: int | None = None
    ) -> int:
        """Queue a message from `user_id`, in a private chat or in `group`; a leading /word is
        a bot command."""
        update_id = next(self._update_ids)
        chat = (
            {"id": user_id, "type": "private", "first_name": first_name}
            if group is None
            else {"id": group, "type": "group", "title": "Office"}
        )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._queue({"update_id": update_id, "message": message})
        return update_id

    def press(self, user_id: int, data: str, *, sent_at: int | None = None) -> int:
        """Queue a press of an inline button with callback `data` on a bot message."""
        update_id = next(self._update_ids)
        message = {
            "message_id": next(self._message_ids),
            "date": sent_at if sent_at is not None else int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": BOT_USER,
            "text": "an alert",
        }
        query = {
            "id": f"cb{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Tester"},
            "chat_instance": "1",
            "data": data,
            "message": message,
        }
        self._queue({"update_id": update_id, "callback_query": query})
        return update_id

    def answers(self) -> list[Sent]:
        with self._changed:
            return [s for s in self.sent if s.method in ANSWERS]

    def wait_answers(self, count: int, timeout: float = 20.0) -> list[Sent]:
        """Block until the bot has sent `count` answers in all; the answers so far."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                answers = [s for s in self.sent if s.method in ANSWERS]
                if len(answers) >= count:
                    return answers
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(answers)} answers, expected {count}: {answers}")
                self._changed.wait(left)

    def consumed(self) -> bool:
        """True when the bot has fetched and confirmed every queued update."""
        with self._changed:
            return not self._pending

    def _queue(self, update: dict[str, Any]) -> None:
        with self._changed:
            self._pending.append(update)
            self._changed.notify_all()

    # -- the Bot API's side ----------------------------------------------------------------

    def handle(self, method: str, params: dict[str, str], files: dict[str, bytes]) -> Any:
        with self._changed:
            self.calls.append(method)
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return self._updates(params)
        if method == "setMyCommands":
            with self._changed:
                self.menus.append(params)
            return True
        if method in {"deleteWebhook", "setWebhook", "close", "logOut"}:
            return True
        if method in ANSWERS:
            with self._changed:
                self.sent.append(Sent(method, params, files))
                self._changed.notify_all()
            if method == "answerCallbackQuery":
                return True
            return self._message_to(params, photo=method == "sendPhoto")
        raise KeyError(method)

    def _updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        wait = min(float(params.get("timeout", 0)), 0.3)
        with self._changed:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if not self._pending and wait:
                self._changed.wait(wait)
            return list(self._pending)

    def _message_to(self, params: dict[str, str], *, photo: bool) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if photo:
            message["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 1, "height": 1}]
            if "caption" in params:
                message["caption"] = params["caption"]
        else:
            message["text"] = params.get("text", "")
        return message


def _form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        params: dict[str, str] = {}
        files: dict[str, bytes] = {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[str(name)] = payload
            else:
                params[str(name)] = payload.decode()
        return params, files
    if content_type.startswith("application/json"):  # the alert hub's notifier posts JSON
        decoded = json.loads(body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in decoded.items()}, {}
    fields = parse_qs(body.decode(), keep_blank_values=True)
    return {key: values[-1] for key, values in fields.items()}, {}


@contextmanager
def fake_bot_api(token: str) -> Iterator[FakeBotApi]:
    """A running fake Bot API on a free loopback port that accepts only `token`."""
    state = FakeBotApi(token=token)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The bot closes its long poll's connection when it stops polling.
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_POST(self) -> None:
            prefix, _, method = self.path.rpartition("/")
            if prefix != f"/bot{state.token}":
                self._answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            params, files = _form(self.headers.get("Content-Type", ""), body)
            try:
                result = state.handle(method, params, files)
            except KeyError:
                self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            self._answer(200, {"ok": True, "result": result})

        do_GET = do_POST  # noqa: N815 - the name http.server calls

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
