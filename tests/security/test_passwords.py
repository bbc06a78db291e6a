"""argon2id hashing: OWASP's floor, parameters read from the hash, rehash when they change."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from oversight.config import SettingsError, load_settings
from oversight.security.passwords import Argon2Params, Passwords, meets_owasp_minimum

CHEAP = Argon2Params(time_cost=2, memory_kib=19_456, parallelism=1)


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "ok"),
    [
        (19_456, 2, True),  # OWASP's headline configuration
        (47_104, 1, True),
        (7_168, 5, True),
        (65_536, 3, True),  # argon2-cffi's default
        (19_455, 2, False),
        (47_103, 1, False),
        (12_288, 2, False),
        (40_000, 1, False),
    ],
)
def test_owasp_minimum_configurations(memory_kib, time_cost, ok):
    assert meets_owasp_minimum(memory_kib, time_cost) is ok


def test_parameters_below_the_floor_are_refused():
    with pytest.raises(ValueError, match="below OWASP's minimum"):
        Argon2Params(time_cost=1, memory_kib=19_456, parallelism=1)


def test_settings_refuse_a_cost_below_the_floor():
    with pytest.raises(SettingsError, match="OWASP"):
        load_settings(_env_file=None, auth={"argon2_time_cost": 1, "argon2_memory_kib": 8192})


def test_default_is_argon2id_at_least_owasp():
    params = extract_parameters(Passwords().hash("a long enough password"))
    assert params.type.name == "ID"
    assert meets_owasp_minimum(params.memory_cost, params.time_cost)


def test_hash_carries_its_parameters_and_verifies_under_other_settings():
    stored = Passwords(CHEAP).hash("a long enough password")
    assert extract_parameters(stored).time_cost == 2
    stronger = Passwords(Argon2Params(time_cost=3, memory_kib=19_456, parallelism=1))
    assert stronger.verify(stored, "a long enough password")
    assert stronger.needs_rehash(stored)
    assert not Passwords(CHEAP).needs_rehash(stored)


def test_no_truncation_every_character_counts():
    passwords = Passwords(CHEAP)
    long_password = "x" * 127 + "a"
    stored = passwords.hash(long_password)
    assert passwords.verify(stored, long_password)
    assert not passwords.verify(stored, "x" * 127 + "b")
    assert not passwords.verify(stored, "x" * 127)


def test_unreadable_hash_does_not_verify_and_needs_rehash():
    passwords = Passwords(CHEAP)
    assert not passwords.verify("not-a-hash", "whatever password")
    assert passwords.needs_rehash("not-a-hash")
