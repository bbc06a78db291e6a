"""Signed access tokens (JWT, HS256 pinned): issue and verify, nothing domain-specific."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret


class InvalidToken(Exception):
    """The token is malformed, expired, or not ours."""


@dataclass(frozen=True, slots=True)
class TokenSigner:
    secret: str
    issuer: str
    audience: str

    def issue(self, *, subject: str, lifetime: timedelta, now: datetime, **claims: Any) -> str:
        payload = {
            "sub": subject,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(12),
            "typ": ACCESS_TOKEN_TYPE,
            **claims,
        }
        return jwt.encode(payload, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token; InvalidToken for anything else."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "nbf", "sub", "iss", "aud", "typ"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("not an access token")
        return claims
