"""TOTP (RFC 6238: 30-second steps, 6 digits, SHA-1 as authenticator apps expect), QR codes,
and single-use recovery codes. Replay protection needs storage, so it belongs to the caller:
`matching_step` says which step a code belongs to, and the caller accepts it only if that
step is later than the last one it accepted."""

from __future__ import annotations

import base64
import io
import secrets
from datetime import datetime

import pyotp
import qrcode
from pyotp.utils import strings_equal

STEP_SECONDS = 30
DRIFT_STEPS = 1  # one step either side of the server's clock is accepted
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_GROUPS = 3
_RECOVERY_GROUP_LENGTH = 4  # 12 characters of a 31-letter alphabet: 59 bits


def new_secret() -> str:
    """A random 160-bit base32 secret (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app enrols from."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_png(uri: str) -> bytes:
    """`uri` as a QR code PNG."""
    image = qrcode.make(uri, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png_base64(uri: str) -> str:
    return base64.b64encode(qr_png(uri)).decode("ascii")


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator shows at `when` (for tests and for nothing else)."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).at(when)


def step_of(when: datetime) -> int:
    return int(when.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, *, now: datetime) -> int | None:
    """The time step (within ±DRIFT_STEPS of `now`) whose code is `code`, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = step_of(now)
    match = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate (no early exit), so timing does not tell which step matched.
        if strings_equal(code, totp.generate_otp(step)):
            match = step
    return match


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """`count` random codes shaped `abcd-efgh-jkmn`, for the user to write down."""
    return [
        "-".join(
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
            for _ in range(_RECOVERY_GROUPS)
        )
        for _ in range(count)
    ]


def normalize_recovery_code(code: str) -> str:
    """The canonical form of a typed recovery code: case, spaces and dashes do not matter."""
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    size = _RECOVERY_GROUP_LENGTH
    return "-".join(plain[i : i + size] for i in range(0, len(plain), size))
