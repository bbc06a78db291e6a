"""What a new password must be: long enough, not too long to be a denial of service, and not
on the bundled list of common passwords. Nothing is silently truncated: a password over the
limit is refused, and argon2 hashes every character of one within it.

The list (`common-passwords.txt.gz`, 40,101 lowercase entries) is the union of Django's
20,000 common passwords (Royce Williams' list, BSD-3-Clause) and zxcvbn's 30,000 most
frequent passwords (from the xato corpus, MIT); `COMMON-PASSWORDS.md` beside it says how it
was built.
"""

from __future__ import annotations

import functools
import gzip
import string
from importlib.resources import files

MIN_LENGTH = 12
DEFAULT_MAX_LENGTH = 128
_APPENDED = string.digits + string.punctuation + " "


class PasswordRejected(ValueError):
    """A password breaks a rule; `rule` names it, the message explains it to the user."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@functools.cache
def common_passwords() -> frozenset[str]:
    data = files("oversight.security").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").splitlines())


def check_password(
    password: str, *, username: str | None = None, max_length: int = DEFAULT_MAX_LENGTH
) -> None:
    """Raise PasswordRejected naming the first rule `password` breaks; lengths count characters."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(
            "min_length", f"password too short: at least {MIN_LENGTH} characters are required"
        )
    if len(password) > max_length:
        raise PasswordRejected(
            "max_length", f"password too long: at most {max_length} characters are accepted"
        )
    lowered = password.lower()
    if username and len(username) >= 3 and username.lower() in lowered:
        raise PasswordRejected("contains_username", "password must not contain the username")
    # A listed password with digits or symbols appended ("dragon2024!!!!") is as guessable as
    # the listed one: cracking rules append those first.
    base = lowered.rstrip(_APPENDED)
    if lowered in common_passwords() or (base and base in common_passwords()):
        raise PasswordRejected(
            "common",
            "password is too common: it is on a list of passwords known from breaches "
            "(possibly with digits or symbols appended)",
        )
