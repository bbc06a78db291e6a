"""age encryption (pyrage), streamed: to recipients on the server, from an identity file
only on the machine that restores.

The file format is the standard age v1 format, so Debian's `age -d -i key.txt` decrypts any
backup. pyrage's `encrypt_io` / `decrypt_io` work in age's 64 KiB chunks: memory stays
bounded whatever the size of the stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import pyrage

from oversight.backup.errors import BackupError

IDENTITY_MARK = "AGE-SECRET-KEY-"


def parse_recipients(recipients: Sequence[str]) -> list[pyrage.x25519.Recipient]:
    """The configured public keys as pyrage recipients; none at all is a `BackupError`."""
    if not recipients:
        raise BackupError(
            "no age recipient configured: set OVERSIGHT_BACKUP__RECIPIENTS (public keys, age1…; "
            "make a key pair with `age-keygen -o backup-identity.txt` off this server)"
        )
    try:
        return [pyrage.x25519.Recipient.from_str(text) for text in recipients]
    except pyrage.RecipientError as error:
        raise BackupError(f"invalid age recipient: {error}") from None


def read_identities(path: Path) -> list[pyrage.x25519.Identity]:
    """The identities in an age identity file (`age-keygen` output: comments and keys)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(f"cannot read the identity file {path}: {error}") from None
    keys = [line.strip() for line in text.splitlines() if line.strip().startswith(IDENTITY_MARK)]
    if not keys:
        raise BackupError(f"the identity file {path} holds no age identity (AGE-SECRET-KEY-…)")
    try:
        return [pyrage.x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError:
        raise BackupError(f"the identity file {path} holds an invalid age identity") from None


def encrypt_stream(
    source: BinaryIO, destination: BinaryIO, recipients: Sequence[pyrage.x25519.Recipient]
) -> None:
    """Encrypt everything read from `source` into `destination`."""
    try:
        pyrage.encrypt_io(source, destination, list(recipients))
    except pyrage.EncryptError as error:
        raise BackupError(f"encryption failed: {error}") from None


def decrypt_stream(
    source: BinaryIO, destination: BinaryIO, identities: Sequence[pyrage.x25519.Identity]
) -> None:
    """Decrypt `source` into `destination`; a wrong identity or any damaged byte is a
    `DecryptionFailed` (age authenticates every chunk and the end of the stream)."""
    try:
        pyrage.decrypt_io(source, destination, list(identities))
    except BrokenPipeError:
        raise  # the reader stopped: its own error is the one to report
    except (pyrage.DecryptError, OSError) as error:
        # pyrage reports a chunk that fails authentication mid-stream as an OSError.
        raise DecryptionFailed(
            f"cannot decrypt: {error} (wrong identity, or a damaged or truncated object)"
        ) from None


class DecryptionFailed(BackupError):
    """The object does not decrypt with the identity given."""
