"""Field encryption: AES-256-GCM ciphertexts that name their key, and HMAC blind indexes.

A `Keyring` holds 256-bit root keys under short key ids. The *active* key encrypts; every key
in the ring decrypts, so a key can be replaced without rewriting the data at once (see
`oversight keys rotate`). Nothing here knows about tables or models.

Encrypt and decrypt::

    keyring = Keyring.parse("k2:<base64 key>,k1:<base64 key>", active="k2")
    aad = associated_data("users", "totp_secret", str(user.id))
    sealed = keyring.encrypt("JBSWY3DPEHPK3PXP", aad=aad)      # bytes, store as-is
    secret = keyring.decrypt_text(sealed, aad=aad)              # "JBSWY3DPEHPK3PXP"

The associated data is authenticated but not stored: decrypting with anything else than what
was given to `encrypt` raises `DecryptionError`. Bind every value to where it lives (table,
column, a row identity that never changes), so a ciphertext copied to another row or column
does not decrypt. The row identity must be known when encrypting: an existing primary key,
or a random per-row UUID for rows not inserted yet.

Ciphertext layout (all authenticated, the header also as associated data)::

    0x01 | len(key id) | key id (ASCII) | 96-bit random nonce | AES-GCM ciphertext + 128-bit tag

Blind indexes make equality lookups possible without decrypting every row::

    index = keyring.blind_index(normalise_email(email), column="customers.email")
    candidates = keyring.blind_indexes(normalise_email(email), column="customers.email")

An index is HMAC-SHA256 under a per-column key derived from the root key with HKDF, truncated
to `BLIND_INDEX_BYTES`. Truncation means rare false positives: filter the candidates by
comparing the decrypted values. `blind_indexes` gives one index per key in the ring, for
lookups while rows are being moved from one key to another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BLIND_INDEX_BYTES = 8
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class FieldCryptError(Exception):
    """Base of every error raised here."""


class KeyringError(FieldCryptError):
    """A key specification or key file cannot be used; the message says why (never the key)."""


class DecryptionError(FieldCryptError):
    """A ciphertext cannot be opened: malformed, unknown key id, tampered, or other AAD."""


def associated_data(*parts: str) -> bytes:
    """Unambiguous associated data from parts (each length-prefixed): ("a", "bc") != ("ab", "c")."""
    out = bytearray()
    for part in parts:
        encoded = part.encode()
        out += len(encoded).to_bytes(4, "big") + encoded
    return bytes(out)


def normalise_email(value: str) -> str:
    """The form e-mail addresses are compared in: trimmed, lower-case."""
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    """The form phone numbers are compared in: digits only ("+7 (495) 123-45-67" -> 74951234567)."""
    return "".join(ch for ch in value if ch.isdigit())


def normalise_text(value: str) -> str:
    """The form free text (names) is compared in: case-folded, single spaces."""
    return " ".join(value.split()).casefold()


def generate_key() -> str:
    """A new random root key, base64-encoded as the settings expect it."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode_key(kid: str, encoded: str, where: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"{where}key {kid!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(
            f"{where}key {kid!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES} "
            "(generate one with `oversight keys generate`)"
        )
    return key


def parse_keys(spec: str, *, where: str = "keys") -> dict[str, bytes]:
    """Keys from "kid:base64key" entries separated by commas or newlines (blank entries and
    '#' comment lines skipped). KeyringError names `where` and the entry, never the key."""
    where = f"{where}: " if where else ""
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(re.split(r"[,\n]", spec), start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        kid, separator, encoded = entry.partition(":")
        kid = kid.strip()
        if not separator or not encoded.strip():
            raise KeyringError(f"{where}entry {number} is not 'key_id:base64key'")
        if not KEY_ID_PATTERN.match(kid):
            raise KeyringError(
                f"{where}entry {number} has an invalid key id (1-32 of A-Z a-z 0-9 _ . -)"
            )
        if kid in keys:
            raise KeyringError(f"{where}key id {kid!r} appears twice")
        keys[kid] = _decode_key(kid, encoded, where)
    if not keys:
        raise KeyringError(f"{where}no key given")
    return keys


def read_key_file(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """Keys from a file of "kid:base64key" lines."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise KeyringError(f"cannot read key file {os.fspath(path)}: {error.strerror}") from None
    return parse_keys(text, where=f"key file {os.fspath(path)}")


class Keyring:
    """Root keys by key id; the active one encrypts and computes new blind indexes."""

    __slots__ = ("_aeads", "_index_keys", "_keys", "active_key_id")

    def __init__(self, keys: Mapping[str, bytes], *, active: str | None = None) -> None:
        if not keys:
            raise KeyringError("no encryption key configured")
        for kid, key in keys.items():
            if not KEY_ID_PATTERN.match(kid):
                raise KeyringError(f"invalid key id {kid!r} (1-32 of A-Z a-z 0-9 _ . -)")
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r} must be {KEY_BYTES} bytes")
        if active is None:
            if len(keys) > 1:
                raise KeyringError("several keys are configured; say which one is active")
            active = next(iter(keys))
        if active not in keys:
            raise KeyringError(f"the active key id {active!r} is not among the configured keys")
        self._keys = dict(keys)
        self._aeads = {kid: AESGCM(key) for kid, key in keys.items()}
        self._index_keys: dict[tuple[str, str], bytes] = {}
        self.active_key_id = active

    @classmethod
    def parse(cls, spec: str, *, active: str | None = None, where: str = "keys") -> Keyring:
        """A keyring from "kid:base64key,kid:base64key" (commas or newlines between entries)."""
        return cls(parse_keys(spec, where=where), active=active)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, active: str | None = None) -> Keyring:
        """A keyring from a file of "kid:base64key" lines ('#' starts a comment line)."""
        return cls(read_key_file(path), active=active)

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        """A keyring of one fresh random key (tests, first installation)."""
        return cls({key_id: secrets.token_bytes(KEY_BYTES)})

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def has_key(self, key_id: str) -> bool:
        return key_id in self._keys

    def key_bytes(self, key_id: str) -> bytes:
        """The raw root key (to compare against known keys such as the development key)."""
        return self._keys[key_id]

    def with_active(self, key_id: str) -> Keyring:
        """The same keys with another active one."""
        return Keyring(self._keys, active=key_id)

    # -- encryption -------------------------------------------------------------------------

    def encrypt(self, plaintext: bytes | str, *, aad: bytes) -> bytes:
        """Seal `plaintext` (str as UTF-8) with the active key and a random nonce."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        kid = self.active_key_id
        header = bytes([FORMAT_VERSION, len(kid)]) + kid.encode("ascii")
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + self._aeads[kid].encrypt(nonce, data, header + aad)

    def decrypt(self, ciphertext: bytes, *, aad: bytes) -> bytes:
        """Open a ciphertext made by `encrypt` with any key of the ring and the same `aad`."""
        kid, header_end = self._header(ciphertext)
        aead = self._aeads.get(kid)
        if aead is None:
            raise DecryptionError(f"ciphertext uses key id {kid!r}, which is not configured")
        header, body = ciphertext[:header_end], ciphertext[header_end:]
        try:
            return aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], header + aad)
        except InvalidTag:
            raise DecryptionError(
                f"ciphertext does not authenticate under key {kid!r}: it was altered, or it "
                "belongs to another row or column"
            ) from None

    def decrypt_text(self, ciphertext: bytes, *, aad: bytes) -> str:
        return self.decrypt(ciphertext, aad=aad).decode()

    @staticmethod
    def key_id_of(ciphertext: bytes) -> str:
        """The key id a ciphertext names (DecryptionError if it is not one of ours)."""
        return Keyring._header(ciphertext)[0]

    @staticmethod
    def _header(ciphertext: bytes) -> tuple[str, int]:
        if len(ciphertext) < 2 or ciphertext[0] != FORMAT_VERSION:
            raise DecryptionError("not a field ciphertext (unknown format version)")
        end = 2 + ciphertext[1]
        if len(ciphertext) < end + NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("not a field ciphertext (too short)")
        try:
            kid = ciphertext[2:end].decode("ascii")
        except UnicodeDecodeError:
            raise DecryptionError("not a field ciphertext (bad key id)") from None
        return kid, end

    # -- blind indexes ----------------------------------------------------------------------

    def _index_key(self, key_id: str, column: str) -> bytes:
        cached = self._index_keys.get((key_id, column))
        if cached is None:
            cached = HKDF(
                algorithm=hashes.SHA256(),
                length=32,
                salt=None,
                info=b"oversight blind index v1\x00" + column.encode(),
            ).derive(self._keys[key_id])
            self._index_keys[(key_id, column)] = cached
        return cached

    def blind_index(self, value: str, *, column: str, key_id: str | None = None) -> bytes:
        """The blind index of an already normalised `value` in `column` (e.g. "customers.email"),
        under the active key unless `key_id` names another."""
        kid = key_id or self.active_key_id
        if kid not in self._keys:
            raise KeyringError(f"key id {kid!r} is not configured")
        digest = hmac.new(self._index_key(kid, column), value.encode(), hashlib.sha256).digest()
        return digest[:BLIND_INDEX_BYTES]

    def blind_indexes(self, value: str, *, column: str) -> list[bytes]:
        """`value`'s blind index under every key of the ring: what a lookup must match while
        rows may still be on an older key."""
        return [self.blind_index(value, column=column, key_id=kid) for kid in self._keys]
