"""Password hashing for accounts: the one place a new password is checked and hashed.

Creating a user (users) and changing a password (auth) both come here, so the policy (length,
common passwords, not the username) and the argon2id parameters cannot differ between them.
Verification at login lives beside it in `auth.service` through `security.passwords`.
"""

from __future__ import annotations

from oversight.config import Settings
from oversight.errors import InvalidInput
from oversight.security.password_policy import PasswordRejected, check_password
from oversight.security.passwords import hash_password


def new_password_hash(
    *, settings: Settings, password: str, username: str, field: str = "password"
) -> str:
    """The hash of a password that passes the policy; InvalidInput naming the broken rule."""
    try:
        check_password(password, username=username, max_length=settings.auth.password_max_length)
    except PasswordRejected as rejected:
        raise InvalidInput(
            rejected.message, details={"field": field, "rule": rejected.rule}
        ) from None
    return hash_password(password, settings.auth.argon2)
