"""TOTP primitives: 30-second steps, one step of drift either way, recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from oversight.security import totp

NOW = datetime(2026, 11, 22, 12, 0, 10, tzinfo=UTC)


@pytest.fixture
def secret():
    return totp.new_secret()


def test_code_of_the_current_step_matches_that_step(secret):
    assert totp.matching_step(secret, totp.code_at(secret, NOW), now=NOW) == totp.step_of(NOW)


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_drift_is_accepted(secret, offset):
    when = NOW + timedelta(seconds=30 * offset)
    assert totp.matching_step(secret, totp.code_at(secret, when), now=NOW) == totp.step_of(when)


@pytest.mark.parametrize("offset", [-2, 2, -10])
def test_two_steps_away_is_refused(secret, offset):
    code = totp.code_at(secret, NOW + timedelta(seconds=30 * offset))
    assert totp.matching_step(secret, code, now=NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef"])
def test_malformed_codes_never_match(secret, code):
    assert totp.matching_step(secret, code, now=NOW) is None


def test_provisioning_uri_names_issuer_account_and_period(secret):
    uri = urlparse(totp.provisioning_uri(secret, account="jsmith", issuer="Oversight"))
    query = parse_qs(uri.query)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/Oversight:jsmith"
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Oversight"]


def test_qr_code_is_a_png():
    assert totp.qr_png("otpauth://totp/x?secret=ABC").startswith(b"\x89PNG\r\n\x1a\n")


def test_ten_distinct_recovery_codes_that_normalise_to_themselves():
    codes = totp.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert totp.normalize_recovery_code(code) == code
        assert totp.normalize_recovery_code(code.upper().replace("-", " ")) == code
