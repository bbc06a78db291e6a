"""The security headers every response carries, and the docs page's content security policy.

The API answers JSON (and PNG charts), which never needs to run a script, load anything or be
framed: its policy forbids everything (OWASP REST Security cheat sheet). Swagger UI at /docs
loads its bundle and stylesheet from this origin (edge/docs.py, no CDN) and starts itself with
one inline script; its policy allows exactly those, the inline script by its SHA-256 (CSP
Level 2 hash source), computed from the page actually served so it follows FastAPI's template.
"""

from __future__ import annotations

import base64
import hashlib
import re

Headers = list[tuple[bytes, bytes]]

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def common_headers() -> Headers:
    """Sent on every response, whatever its status."""
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


def api_headers() -> Headers:
    return [*common_headers(), (b"content-security-policy", STRICT_CSP.encode())]


def hsts_header(seconds: int) -> tuple[bytes, bytes] | None:
    """Strict-Transport-Security (RFC 6797), for responses served over HTTPS only."""
    if seconds <= 0:
        return None
    return (b"strict-transport-security", f"max-age={seconds}; includeSubDomains".encode())


def docs_csp(html: bytes) -> bytes:
    """The policy of a Swagger UI page: its own origin, its inline scripts by hash, nothing else."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ).encode()
