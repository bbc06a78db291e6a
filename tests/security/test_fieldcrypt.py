"""The field encryption primitives: sealing, associated data, key ids, blind indexes."""

from __future__ import annotations

import base64

import pytest

from oversight.security.fieldcrypt import (
    BLIND_INDEX_BYTES,
    DecryptionError,
    Keyring,
    KeyringError,
    associated_data,
    generate_key,
    normalise_email,
    normalise_phone,
)

AAD = associated_data("customers", "phone", "0b7d7e8a-row")


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse(f"k1:{generate_key()},k2:{generate_key()}", active="k2")


def test_round_trip_of_text_and_bytes(keyring):
    assert keyring.decrypt_text(keyring.encrypt("+7 495 123-45-67", aad=AAD), aad=AAD) == (
        "+7 495 123-45-67"
    )
    assert keyring.decrypt(keyring.encrypt(b"\x00\xff", aad=AAD), aad=AAD) == b"\x00\xff"


def test_ciphertext_names_the_active_key_and_hides_the_value(keyring):
    sealed = keyring.encrypt("ivan@example.com", aad=AAD)
    assert Keyring.key_id_of(sealed) == "k2"
    assert b"ivan" not in sealed
    assert sealed != keyring.encrypt("ivan@example.com", aad=AAD)  # random nonce


def test_every_key_of_the_ring_decrypts(keyring):
    old = keyring.with_active("k1").encrypt("value", aad=AAD)
    assert Keyring.key_id_of(old) == "k1"
    assert keyring.decrypt_text(old, aad=AAD) == "value"


@pytest.mark.parametrize("position", [0, 1, 5, 20, -1])
def test_a_changed_byte_anywhere_is_refused(keyring, position):
    sealed = bytearray(keyring.encrypt("value", aad=AAD))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionError):
        keyring.decrypt(bytes(sealed), aad=AAD)


@pytest.mark.parametrize(
    "other",
    [
        associated_data("customers", "phone", "another-row"),
        associated_data("customers", "email", "0b7d7e8a-row"),
        associated_data("users", "phone", "0b7d7e8a-row"),
        b"",
    ],
    ids=["other row", "other column", "other table", "none"],
)
def test_other_associated_data_is_refused(keyring, other):
    sealed = keyring.encrypt("value", aad=AAD)
    with pytest.raises(DecryptionError, match="another row or column"):
        keyring.decrypt(sealed, aad=other)


def test_associated_data_parts_cannot_be_shifted():
    assert associated_data("ab", "c") != associated_data("a", "bc")


def test_unknown_key_id_is_named(keyring):
    foreign = Keyring.generate("k9").encrypt("value", aad=AAD)
    with pytest.raises(DecryptionError, match=r"'k9'.*not configured"):
        keyring.decrypt(foreign, aad=AAD)


def test_garbage_is_not_a_ciphertext(keyring):
    with pytest.raises(DecryptionError, match="not a field ciphertext"):
        keyring.decrypt(b"+7 495 123-45-67", aad=AAD)


def test_keys_from_a_file(tmp_path):
    path = tmp_path / "field-keys"
    path.write_text(f"# rotated 2026-11\nold:{generate_key()}\n\nnew:{generate_key()}\n")
    keyring = Keyring.from_file(path, active="new")
    assert keyring.key_ids == ("old", "new")
    assert keyring.decrypt_text(keyring.encrypt("x", aad=AAD), aad=AAD) == "x"


def test_urlsafe_base64_keys_are_accepted():
    key = base64.urlsafe_b64encode(b"\xfb" * 32).decode()
    assert Keyring.parse(f"k:{key}").key_bytes("k") == b"\xfb" * 32


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("k1", "entry 1 is not 'key_id:base64key'"),
        ("k1:!!!notbase64", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "5 bytes; AES-256 needs 32"),
        (f"bad id:{base64.b64encode(bytes(32)).decode()}", "invalid key id"),
        ("", "no key given"),
    ],
)
def test_malformed_key_specs_say_what_is_wrong_without_the_key(spec, message):
    with pytest.raises(KeyringError, match=message) as caught:
        Keyring.parse(spec)
    assert spec.partition(":")[2] not in str(caught.value) or not spec.partition(":")[2]


def test_duplicate_key_ids_are_refused():
    with pytest.raises(KeyringError, match="appears twice"):
        Keyring.parse(f"k1:{generate_key()},k1:{generate_key()}")


def test_several_keys_need_an_active_one():
    with pytest.raises(KeyringError, match="which one is active"):
        Keyring.parse(f"k1:{generate_key()},k2:{generate_key()}")
    with pytest.raises(KeyringError, match="not among the configured keys"):
        Keyring.parse(f"k1:{generate_key()}", active="k2")


def test_missing_key_file_is_reported(tmp_path):
    with pytest.raises(KeyringError, match="cannot read key file"):
        Keyring.from_file(tmp_path / "absent")


def test_blind_index_is_deterministic_truncated_and_per_column(keyring):
    index = keyring.blind_index("74951234567", column="customers.phone")
    assert len(index) == BLIND_INDEX_BYTES
    assert index == keyring.blind_index("74951234567", column="customers.phone")
    assert index != keyring.blind_index("74951234567", column="users.phone")
    assert index != keyring.blind_index("74951234568", column="customers.phone")


def test_blind_index_depends_on_the_key(keyring):
    under_k1 = keyring.blind_index("x", column="c", key_id="k1")
    assert under_k1 != keyring.blind_index("x", column="c", key_id="k2")
    under_k2 = keyring.blind_index("x", column="c")
    assert keyring.blind_indexes("x", column="c") == [under_k1, under_k2]
    assert Keyring.generate().blind_index("x", column="c") != under_k1


def test_normalisation_makes_equal_contacts_compare_equal():
    assert normalise_phone("+7 (495) 123-45-67") == normalise_phone("74951234567")
    assert normalise_email(" Ivan.Petrov@Example.COM ") == "ivan.petrov@example.com"
