from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from oversight.kit.schemas import InputSchema, OutputSchema

# Passwords are taken exactly as typed: no whitespace stripped, nothing truncated.
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096, strip_whitespace=False)]
OpaqueToken = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
TotpCode = Annotated[str, StringConstraints(min_length=6, max_length=10)]
RecoveryCodeText = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class LoginRequest(InputSchema):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Secret


class TokenResponse(OutputSchema):
    """A signed-in session: a short-lived access token and the refresh token that renews it."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class TwoFactorChallenge(OutputSchema):
    """The password was right; the second step remains. `pending_token` (Bearer) opens only
    the 2FA endpoints: `verify` → POST /auth/2fa/verify; `enrol` → POST /auth/2fa/enrolment."""

    two_factor: Literal["verify", "enrol"]
    pending_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_in: int


class RefreshRequest(InputSchema):
    refresh_token: OpaqueToken


class PasswordChange(InputSchema):
    current_password: Secret
    new_password: Secret


class PasswordChanged(OutputSchema):
    other_sessions_ended: int


class EnrolmentStart(InputSchema):
    """An account that never enrolled and is no longer new needs an administrator's token."""

    enrolment_token: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class EnrolmentTokenIssued(OutputSchema):
    """Hand the token to the account's owner; it works once, until `expires_at`."""

    enrolment_token: str
    expires_at: datetime


class EnrolmentStarted(OutputSchema):
    """Scan the QR code (or type the secret) into an authenticator app, then confirm a code."""

    otpauth_uri: str
    secret: str
    qr_png_base64: str
    qr_png_url: str


class CodeBody(InputSchema):
    code: TotpCode


class VerifyRequest(InputSchema):
    """Exactly one of `code` (authenticator app) or `recovery_code`."""

    code: TotpCode | None = None
    recovery_code: RecoveryCodeText | None = None


class RecoveryCodes(OutputSchema):
    """Shown once: each code signs in once in place of an authenticator code."""

    recovery_codes: list[str]


class SecondFactorAccepted(OutputSchema):
    """The answer of both second-factor endpoints, enrolment confirm and verify: the same
    object whichever finished the login.

    `session` is the signed-in session when the code finished a login (always for verify;
    for confirm when it was sent with the pending token), null when a signed-in user enrolled.
    `recovery_codes` are the ten new codes, shown only now, when enrolment was confirmed;
    null after verify."""

    session: TokenResponse | None = None
    recovery_codes: list[str] | None = None
