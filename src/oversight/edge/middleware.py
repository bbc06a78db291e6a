"""The two pure ASGI layers of the edge, around the observability middleware:

    TransportMiddleware      who the client is (behind trusted proxies), over which scheme;
                             security headers on every response, errors and crashes included
      ObservabilityMiddleware  request id, context, access log, metrics, crash capture
        CORSMiddleware         only when origins are configured
          GuardMiddleware      IP allowlists, body size, per-address (and per-account) limits

The guard sits inside the observability layer so that what it refuses (403, 413, 429, 503)
is logged and counted like any other answer, with the resolved client address.

Both are pure ASGI (no `BaseHTTPMiddleware`): per request they cost a few dictionary and list
operations, one regex match, and one rate-limit count.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oversight.edge import headers as security_headers
from oversight.edge.limit_enforcement import RULE_SCOPE_KEY, Refusal, edge_log, judge
from oversight.edge.rules import PathSet, RateTable
from oversight.errors import error_body
from oversight.observability import metrics
from oversight.security.network import IpAllowlist, TrustedProxies
from oversight.security.rate_limiter import RateLimiter, account_identity, ip_identity

PEER_SCOPE_KEY = "oversight.peer"
METRICS_PATH = "/metrics"
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


class TransportMiddleware:
    """Outermost layer: resolves the client address and scheme, adds the security headers.

    From a trusted proxy, `scope["client"]` becomes the address `X-Forwarded-For` names and
    `scope["scheme"]` the one `X-Forwarded-Proto` names (the TCP peer is kept under
    `scope["oversight.peer"]`); from anyone else both headers are ignored. Everything inside
    — logs, audit events, allowlists, rate limits — reads `scope["client"]`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_proxies: TrustedProxies,
        hsts_seconds: int,
        docs_prefix: str | None,
    ) -> None:
        self.app = app
        self._proxies = trusted_proxies if trusted_proxies else None
        self._trusts = trusted_proxies.trusts
        self._docs_prefix = docs_prefix
        hsts = security_headers.hsts_header(hsts_seconds)
        plain = security_headers.api_headers()
        self._headers = {"http": plain, "https": plain + ([hsts] if hsts else [])}
        docs = security_headers.common_headers()
        self._docs_headers = {"http": docs, "https": docs + ([hsts] if hsts else [])}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._proxies is not None:
            client = scope.get("client")
            if client and self._trusts(client[0]):
                self._resolve_client(scope, client)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._docs_prefix is not None and scope["path"] in (
            self._docs_prefix,
            f"{self._docs_prefix}/oauth2-redirect",
        ):
            await self._serve_docs(scope, receive, send)
            return
        extra = self._headers.get(scope["scheme"], self._headers["http"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _resolve_client(self, scope: Scope, client: tuple[str, int]) -> None:
        assert self._proxies is not None
        peer = client[0]
        forwarded_for: list[str] = []
        forwarded_proto = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                forwarded_proto = value.decode("latin-1")
        scope[PEER_SCOPE_KEY] = client
        address = self._proxies.client_address(peer, forwarded_for)
        if address != peer:
            scope["client"] = (address, 0)
        if scope["type"] == "http":
            scope["scheme"] = self._proxies.scheme(peer, scope["scheme"], forwarded_proto)

    async def _serve_docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The docs page: its policy needs the hashes of the page's inline scripts, so the
        (small) page is held until complete."""
        extra = self._docs_headers.get(scope["scheme"], self._docs_headers["http"])
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_policy(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            policy = (b"content-security-policy", security_headers.docs_csp(body))
            start["headers"] = [*start.get("headers", ()), *extra, policy]
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_with_policy)


class GuardMiddleware:
    """Refuses before any routing: addresses outside an allowlist (403), bodies over the size
    limit (413), and requests over a per-address or per-account rate limit (429 / 503)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        admin_paths: PathSet,
        admin_allow: IpAllowlist,
        metrics_allow: IpAllowlist,
        max_body_bytes: int,
        limiter: RateLimiter | None,
        table: RateTable,
        route_body_limits: tuple[tuple[re.Pattern[str], int], ...] = (),
    ) -> None:
        self.app = app
        self._route_limits = route_body_limits
        self._admin_paths = admin_paths
        self._admin_allow = admin_allow if admin_paths else IpAllowlist(())
        self._metrics_allow = metrics_allow
        self._max_body = max_body_bytes
        self._limiter = limiter
        self._table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        client = scope.get("client")
        ip: str | None = client[0] if client else None

        if self._admin_allow and self._admin_paths.matches(path):
            if not self._admin_allow.allows(ip):
                await self._deny(send, "admin", ip, path)
                return
        elif self._metrics_allow and path == METRICS_PATH and not self._metrics_allow.allows(ip):
            await self._deny(send, "metrics", ip, path)
            return

        length = _content_length(scope)
        limit = self._limit_for(path)
        if length is not None and length > limit:
            await self._too_large(send, limit)
            return

        if self._limiter is not None:
            rule = self._table.match(path)
            scope[RULE_SCOPE_KEY] = rule
            if rule.per_ip:
                verdict = await self._limiter.hit(rule.per_ip, rule.name, "ip", ip_identity(ip))
                refusal = judge(rule, verdict, "ip", ip)
                if refusal is not None:
                    await _refuse(send, refusal)
                    return
            if rule.account_field and rule.per_user and scope["method"] == "POST":
                body = await _read_body(receive, self._max_body)
                if body is None:
                    await self._too_large(send)
                    return
                account = _json_field(body, rule.account_field)
                if account:
                    key = account_identity(account)
                    verdict = await self._limiter.hit(rule.per_user, rule.name, "account", key)
                    refusal = judge(rule, verdict, "account", ip)
                    if refusal is not None:
                        await _refuse(send, refusal)
                        return
                receive = _replay(body, receive)
                length = len(body)

        if length is None and scope["method"] not in _BODYLESS:
            await self._call_with_body_limit(scope, receive, send, limit)
        else:
            await self.app(scope, receive, send)

    def _limit_for(self, path: str) -> int:
        """The body limit of `path`: a route's own (uploads) or the API's."""
        for pattern, limit in self._route_limits:
            if pattern.match(path):
                return limit
        return self._max_body

    async def _call_with_body_limit(
        self, scope: Scope, receive: Receive, send: Send, limit: int
    ) -> None:
        """A body without Content-Length (chunked) is counted as it is read: past the limit,
        reading it raises 413, which the app's error handler renders."""
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body too large (limit {limit} bytes)")
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except HTTPException as error:
            if error.status_code != 413 or started:
                raise
            await self._too_large(send, limit)

    async def _too_large(self, send: Send, limit: int | None = None) -> None:
        message = f"request body too large (limit {limit or self._max_body} bytes)"
        await _send_error(send, 413, "payload_too_large", message)

    @staticmethod
    async def _deny(send: Send, zone: str, ip: str | None, path: str) -> None:
        metrics.HTTP_NETWORK_DENIED.labels(zone).inc()
        edge_log.warning("network_denied", zone=zone, client_ip=ip, path=path)
        await _send_error(send, 403, "permission_denied", "not served to this network address")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out `body` once, then defers to the server (disconnects)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _json_field(body: bytes, field: str) -> str | None:
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):  # malformed or absurdly nested: no account named
        return None
    value = data.get(field) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


async def _refuse(send: Send, refusal: Refusal) -> None:
    await _send_error(
        send,
        refusal.status,
        refusal.code,
        refusal.message,
        [(b"retry-after", str(refusal.retry_after).encode())],
    )


async def _send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra_headers or ()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
