"""The password policy: length bounds, no truncation, common passwords; the rule is named."""

from __future__ import annotations

import pytest

from oversight.security.password_policy import (
    MIN_LENGTH,
    PasswordRejected,
    check_password,
    common_passwords,
)


def rule_of(password: str, **kwargs: object) -> str | None:
    try:
        check_password(password, **kwargs)  # type: ignore[arg-type]
    except PasswordRejected as rejected:
        return rejected.rule
    return None


def test_bundled_list_is_loaded_from_package_data():
    listed = common_passwords()
    assert len(listed) > 40_000
    assert {"123456", "password", "qwerty123456", "1qaz2wsx3edc"} <= listed


def test_eleven_characters_are_too_short_and_twelve_are_enough():
    assert MIN_LENGTH == 12
    assert rule_of("Zk4!pQ9#wL2") == "min_length"
    assert rule_of("Zk4!pQ9#wL2m") is None


def test_128_characters_are_accepted_and_129_refused_not_truncated():
    assert rule_of("Zk4!pQ9#" * 16) is None
    assert rule_of("Zk4!pQ9#" * 16 + "x") == "max_length"


def test_longer_limit_is_a_setting():
    assert rule_of("Zk4!pQ9#" * 20, max_length=256) is None


@pytest.mark.parametrize("password", ["qwerty123456", "QWERTY123456", "1qaz2wsx3edc"])
def test_common_passwords_are_refused_whatever_the_case(password):
    assert rule_of(password) == "common"


@pytest.mark.parametrize("password", ["dragon2024!!!!", "Password12345678", "iloveyou!!!!!!"])
def test_common_password_with_digits_or_symbols_appended_is_refused(password):
    assert rule_of(password) == "common"


def test_password_containing_the_username_is_refused():
    assert rule_of("xx-jsmith-2026-ok", username="jsmith") == "contains_username"


def test_message_names_the_failed_rule():
    with pytest.raises(PasswordRejected, match="at least 12 characters"):
        check_password("short")
    with pytest.raises(PasswordRejected, match="too common"):
        check_password("qwerty123456")
    with pytest.raises(PasswordRejected, match="at most 128 characters"):
        check_password("a" * 129)


def test_a_passphrase_passes():
    assert rule_of("correct horse battery staple") is None
