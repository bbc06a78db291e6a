"""Signed tokens (JWT, HS256 pinned) with key ids, and opaque refresh tokens.

A JWT's `kid` header picks the verifying key among the configured ones, so a new key can sign
while tokens signed by the previous one stay valid until they expire. Everything the header
could use to smuggle in a key or an algorithm (`alg` other than HS256, `jku`, `jwk`, `x5u`,
`x5c`, `crit`) is refused before the signature is checked (RFC 8725, JWT best practices).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"
ACCESS = "access"
TWO_FACTOR_PENDING = "2fa_pending"
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "sub", "iss", "aud", "typ", "jti")
_FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit"})


class InvalidToken(Exception):
    """The token is malformed, expired, of another type, or not ours."""


class ExpiredToken(InvalidToken):
    """A token of ours that was valid and has expired: the everyday case, not an attack."""


@dataclass(frozen=True, slots=True)
class TokenSigner:
    """Signs with `keys[active_kid]`; verifies with whichever configured key the `kid` names."""

    keys: Mapping[str, str]
    active_kid: str
    issuer: str
    audience: str

    def __post_init__(self) -> None:
        if self.active_kid not in self.keys:
            raise ValueError(f"active key id {self.active_kid!r} is not among the keys")

    def issue(
        self,
        *,
        subject: str,
        lifetime: timedelta,
        now: datetime,
        token_type: str = ACCESS,
        **claims: Any,
    ) -> str:
        payload = {
            "sub": subject,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(12),
            "typ": token_type,
            **claims,
        }
        return jwt.encode(
            payload,
            self.keys[self.active_kid],
            algorithm=ALGORITHM,
            headers={"kid": self.active_kid},
        )

    def verify(
        self, token: str, *, token_types: frozenset[str] = frozenset({ACCESS})
    ) -> dict[str, Any]:
        """The claims of a valid token of one of `token_types`; InvalidToken for anything else."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        if _FORBIDDEN_HEADERS & header.keys():
            raise InvalidToken("token header names its own key material")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self.keys:
            raise InvalidToken("unknown key id")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.keys[kid],
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
            )
        except jwt.ExpiredSignatureError as error:
            raise ExpiredToken(str(error)) from None
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if claims.get("typ") not in token_types:
            raise InvalidToken("wrong token type")
        return claims


def new_opaque_token() -> str:
    """256 random bits, URL-safe: a bearer secret that only its digest is stored for."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 hex of a high-entropy token: enough to store it (a slow hash adds nothing when
    the input has 256 bits of entropy), and constant-size for a unique index."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
