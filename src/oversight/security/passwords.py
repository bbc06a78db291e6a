"""Password hashing with argon2id, its cost parameters a setting, never below OWASP's floor.

The parameters live in each stored hash, so hashes made under older settings still verify;
`needs_rehash` tells the caller to replace such a hash once the password is known again
(at the next successful login).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id with one of these (memory KiB, iterations)
# configurations and parallelism 1, which "provide an equal level of defense"; more memory or
# more iterations than one of them is at least as strong.
OWASP_MINIMUMS: tuple[tuple[int, int], ...] = (
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
)


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """argon2id cost: `time_cost` iterations over `memory_kib` KiB in `parallelism` lanes.

    The default is argon2-cffi's (RFC 9106's "second recommended option": t=3, 64 MiB, p=4),
    well above OWASP's minimum.
    """

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4

    def __post_init__(self) -> None:
        if self.parallelism < 1:
            raise ValueError("argon2 parallelism must be at least 1")
        if not meets_owasp_minimum(self.memory_kib, self.time_cost):
            floors = ", ".join(f"{m} KiB x {t}" for m, t in OWASP_MINIMUMS)
            raise ValueError(
                f"argon2id cost {self.memory_kib} KiB x {self.time_cost} iterations is below "
                f"OWASP's minimum (one of: {floors})"
            )


def meets_owasp_minimum(memory_kib: int, time_cost: int) -> bool:
    return any(memory_kib >= m and time_cost >= t for m, t in OWASP_MINIMUMS)


DEFAULT_PARAMS = Argon2Params()


class Passwords:
    """Hash, verify and check the cost of stored password hashes under one set of parameters."""

    def __init__(self, params: Argon2Params = DEFAULT_PARAMS) -> None:
        self.params = params
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )
        # Made under the same parameters as real hashes, so verifying it costs the same.
        self._dummy = self._hasher.hash("dummy password used only to spend the same time")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches; False for a wrong password or an unreadable hash."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with other parameters (or another algorithm)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def spend_verification_time(self, password: str) -> None:
        """Verify against a throwaway hash, so an unknown username costs as much as a wrong
        password: without it, login time would tell an attacker which usernames exist."""
        self.verify(self._dummy, password)


@functools.cache
def passwords_for(params: Argon2Params) -> Passwords:
    """One hasher per parameter set (the dummy hash is made once, not per login)."""
    return Passwords(params)


def hash_password(password: str, params: Argon2Params = DEFAULT_PARAMS) -> str:
    return passwords_for(params).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Parameters are read from the hash itself, so any parameter set verifies here."""
    return passwords_for(DEFAULT_PARAMS).verify(password_hash, password)
