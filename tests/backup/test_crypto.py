"""age encryption as BACKUPS.md 16-22 asks: round trips at chunk boundaries, truncation and
bit flips fail, fresh randomness per encryption, recipients only, and the standard `age` tool
decrypts what Oversight wrote."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pyrage
import pytest
from pydantic import ValidationError

from oversight.backup.crypto import (
    DecryptionFailed,
    decrypt_stream,
    encrypt_stream,
    parse_recipients,
    read_identities,
)
from oversight.config import BackupSettings

CHUNK = 65_536


def _keys():
    identity = pyrage.x25519.Identity.generate()
    return identity, identity.to_public()


def encrypt(data: bytes, recipient) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, [recipient])
    return out.getvalue()


def decrypt(data: bytes, identity) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(data), out, [identity])
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_round_trip_at_chunk_boundaries(size):
    identity, recipient = _keys()
    data = os.urandom(size)
    assert decrypt(encrypt(data, recipient), identity) == data


@pytest.mark.parametrize("size", [1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_truncation_or_an_appended_byte_fails(size):
    identity, recipient = _keys()
    sealed = encrypt(os.urandom(size), recipient)
    for damaged in (sealed[:-1], sealed[:-17], sealed + b"\0"):
        with pytest.raises(DecryptionFailed):
            decrypt(damaged, identity)


def test_one_flipped_bit_in_header_mac_or_chunk_fails():
    identity, recipient = _keys()
    sealed = encrypt(os.urandom(2 * CHUNK + 10), recipient)
    mac_at = sealed.index(b"\n---") + 5
    body = sealed.index(b"\n", mac_at) + 1
    for offset in (15, mac_at + 3, body + 5, body + CHUNK + 40, len(sealed) - 3):
        damaged = bytearray(sealed)
        damaged[offset] ^= 0x01
        with pytest.raises(DecryptionFailed):
            decrypt(bytes(damaged), identity)


def test_the_same_plaintext_encrypts_differently_each_time():
    _, recipient = _keys()
    data = os.urandom(1000)
    assert encrypt(data, recipient) != encrypt(data, recipient)


def test_any_of_several_recipients_can_decrypt():
    first, second = _keys(), _keys()
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(b"payload"), out, [first[1], second[1]])
    assert decrypt(out.getvalue(), second[0]) == b"payload"


def test_settings_refuse_an_identity_and_accept_only_recipients():
    identity, recipient = _keys()
    with pytest.raises(ValidationError, match="not a recipient"):
        BackupSettings(recipients=(str(identity),))
    with pytest.raises(ValidationError, match="not an age X25519 recipient"):
        BackupSettings(recipients=("ssh-ed25519 AAAA",))
    assert BackupSettings(recipients=(str(recipient),)).recipients == (str(recipient),)
    with pytest.raises(Exception, match="no age recipient configured"):
        parse_recipients(())


def test_an_identity_file_without_a_key_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("# nothing here\n")
    with pytest.raises(Exception, match="holds no age identity"):
        read_identities(tmp_path / "empty.txt")
    with pytest.raises(Exception, match="cannot read the identity file"):
        read_identities(tmp_path / "missing.txt")


def test_debian_age_decrypts_what_oversight_encrypted(tmp_path):
    identity, recipient = _keys()
    (tmp_path / "key.txt").write_text(f"{identity}\n")
    data = os.urandom(3 * CHUNK + 7)
    (tmp_path / "x.age").write_bytes(encrypt(data, recipient))
    result = subprocess.run(
        ["age", "--decrypt", "-i", str(tmp_path / "key.txt"), str(tmp_path / "x.age")],
        capture_output=True, check=True,
    )  # fmt: skip
    assert result.stdout == data


def test_no_age_identity_anywhere_in_the_repository():
    """BACKUPS.md 21: the server's settings and the repository hold recipients only."""
    root = Path(__file__).resolve().parents[2]
    marker = "AGE-SECRET-" + "KEY-1"  # split so this file does not match itself
    found = []
    for path in root.rglob("*"):
        if ".git" in path.parts or ".venv" in path.parts or not path.is_file():
            continue
        if path.stat().st_size > 5_000_000:
            continue
        if marker.encode() in path.read_bytes():
            found.append(str(path.relative_to(root)))
    assert found == []
