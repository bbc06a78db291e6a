"""Signed download links: an HMAC over the path, the expiry and the user, so a phone can open
a link without the bearer token for a few minutes.

The key is derived from the active JWT signing key (HMAC-SHA256 of a fixed label), so no new
secret needs configuring and rotating the JWT key also retires outstanding links. Links carry
the key id, so a link signed just before a rotation verifies while the old key is still
listed. The refusals name their reason: malformed, expired, bad signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from oversight.config import Settings
from oversight.files.errors import LinkRefused

_LABEL = b"oversight.files.download-link.v1"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    path: str
    expires: int
    user_id: int


def _key(settings: Settings, key_id: str) -> bytes:
    secret = settings.auth.signing_keys.get(key_id)
    if secret is None:
        raise LinkRefused("link refused: signed with a key that is no longer valid")
    return hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()


def _signature(key: bytes, path: str, expires: int, user_id: int) -> str:
    message = f"{path}\n{expires}\n{user_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(settings: Settings, path: str, user_id: int, *, now: float | None = None) -> str:
    """`path?…` valid for `files.link_ttl_seconds` for `user_id`."""
    expires = int((time.time() if now is None else now) + settings.files.link_ttl_seconds)
    key_id = settings.auth.active_key_id
    signature = _signature(_key(settings, key_id), path, expires, user_id)
    query = urlencode({"expires": expires, "user": user_id, "kid": key_id, "sig": signature})
    return f"{path}?{query}"


def verify(
    settings: Settings,
    path: str,
    *,
    expires: str | None,
    user: str | None,
    kid: str | None,
    sig: str | None,
    now: float | None = None,
) -> LinkClaims:
    """The link's claims, or LinkRefused naming why (malformed, bad signature, expired).

    The signature is checked before the expiry, so an altered expiry reads as tampering."""
    if not (expires and user and kid and sig) or not (expires.isdigit() and user.isdigit()):
        raise LinkRefused("link refused: malformed (expires, user, kid and sig are required)")
    expected = _signature(_key(settings, kid), path, int(expires), int(user))
    if not hmac.compare_digest(expected, sig):
        raise LinkRefused("link refused: the signature does not match (altered link)")
    if int(expires) < (time.time() if now is None else now):
        raise LinkRefused("link refused: expired")
    return LinkClaims(path, int(expires), int(user))
