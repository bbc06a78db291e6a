"""Attack: crafted access tokens. Every variant is 401, and every forgery (anything but an
honest expired token) leaves an `auth.token_rejected` audit event naming what was wrong."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta

import jwt
import pytest

from builders import make_user
from engines import EMBEDDED_ONLY
from logins import bearer, events, login
from oversight.auth.sessions import start_session
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

ME = "/api/v1/users/me"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict, claims: dict, signature: bytes = b"") -> str:  # type: ignore[type-arg]
    """A token put together by hand, as a library would refuse to make it."""
    parts = [b64(json.dumps(part, default=int).encode()) for part in (header, claims)]
    return ".".join([*parts, b64(signature)])


@pytest.fixture
def forge(session, settings):  # type: ignore[no-untyped-def]
    """forge(changes=..., drop=..., key=..., algorithm=..., headers=...) -> a token for a
    fresh admin whose claims, header and key differ from a genuine token only as told."""
    user = make_user(session, Role.admin)
    live = start_session(session=session, settings=settings, user=user, second_factor="totp")
    real_kid = settings.auth.active_key_id
    real_key = settings.auth.signing_keys[real_kid]

    def make(*, changes=None, drop=(), key=real_key, algorithm="HS256", headers=None):  # type: ignore[no-untyped-def]
        now = utcnow()
        claims = {
            "sub": str(user.id), "iss": "oversight", "aud": "oversight-api", "iat": now,
            "nbf": now, "exp": now + timedelta(minutes=5), "jti": secrets.token_hex(8),
            "typ": "access", "role": "admin", "amr": ["pwd", "otp"], "sid": live.session_id,
        }  # fmt: skip
        claims.update(changes or {})
        for name in drop:
            claims.pop(name)
        header = {"kid": real_kid, **(headers or {})}
        return jwt.encode(claims, key, algorithm=algorithm, headers=header)

    make.user = user  # type: ignore[attr-defined]
    make.kid = real_kid  # type: ignore[attr-defined]
    make.key = real_key  # type: ignore[attr-defined]
    return make


def rejected(client, session, token, reason_part):  # type: ignore[no-untyped-def]
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["message"] == "invalid or expired access token"
    [event] = events(session, "auth.token_rejected")
    assert reason_part in event.reason
    assert event.client_ip == "testclient"


def test_the_genuine_article_works(client, forge):
    assert client.get(ME, headers=bearer(forge())).status_code == 200


def test_a_validly_signed_token_without_a_session_id_is_refused(client, session, forge):
    # Issue 12, finding 6: every access token belongs to a revocable session.
    rejected(client, session, forge(drop=("sid",)), "no session id")


# The development secret Oversight's source once held: public, so never a key again.
FORMER_PUBLIC_SECRET = "oversight-development-secret-change-me"


@pytest.mark.parametrize("kid", ["default", "local"])
def test_a_token_signed_with_the_former_public_development_secret_is_refused(
    client, session, forge, kid
):
    token = forge(key=FORMER_PUBLIC_SECRET, headers={"kid": kid})
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 401, response.text


def test_alg_none_is_rejected(client, session, forge):
    claims = jwt.decode(forge(), options={"verify_signature": False})
    token = raw_token({"alg": "none", "kid": forge.kid, "typ": "JWT"}, claims)
    rejected(client, session, token, "algorithm 'none'")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_hmac_algorithm_with_the_right_key_is_rejected(client, session, forge):
    rejected(client, session, forge(algorithm="HS512"), "algorithm 'HS512'")


def test_algorithm_confusion_rs256_header_is_rejected(client, session, forge):
    header = {"alg": "RS256", "kid": forge.kid, "typ": "JWT"}
    _, claims, _ = forge().split(".")
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    token = raw_token(header, payload, secrets.token_bytes(256))
    rejected(client, session, token, "algorithm 'RS256'")


def test_signature_by_another_key_is_rejected(client, session, forge):
    rejected(client, session, forge(key=secrets.token_urlsafe(32)), "Signature verification")


def test_foreign_key_id_is_rejected(client, session, forge):
    token = forge(headers={"kid": "attacker-key"}, key=secrets.token_urlsafe(32))
    rejected(client, session, token, "unknown key id")


def test_missing_key_id_is_rejected(client, session, forge):
    token = jwt.encode(
        jwt.decode(forge(), options={"verify_signature": False}), forge.key, algorithm="HS256"
    )
    rejected(client, session, token, "unknown key id")


@pytest.mark.parametrize("header", ["jku", "jwk", "x5u", "x5c"])
def test_headers_that_point_at_key_material_are_rejected(client, session, forge, header):
    value = {"kty": "oct", "k": b64(b"k" * 32)} if header == "jwk" else "https://evil.example/k"
    rejected(client, session, forge(headers={header: value}), "names its own key material")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "another-api"}, "Audience"),
        ({"iss": "someone-else"}, "issuer"),
        ({"nbf": timedelta(minutes=10)}, "not yet valid"),
        ({"iat": timedelta(minutes=10)}, "not yet valid"),
        ({"typ": "refresh"}, "wrong token type"),
    ],
    ids=["wrong-audience", "wrong-issuer", "future-nbf", "future-iat", "other-type"],
)
def test_wrong_claims_are_rejected(client, session, forge, changes, reason):
    # A time is given as an offset from now when the test runs, not when it was collected:
    # a long run would otherwise reach the "future" instant before the test does.
    now = utcnow()
    changes = {k: now + v if isinstance(v, timedelta) else v for k, v in changes.items()}
    rejected(client, session, forge(changes=changes), reason)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "iss", "aud", "typ", "sub", "jti"])
def test_missing_required_claims_are_rejected(client, session, forge, claim):
    rejected(client, session, forge(drop=[claim]), claim)


def test_subject_that_is_not_a_user_id_is_rejected(client, session, forge):
    rejected(client, session, forge(changes={"sub": "admin"}), "subject")


def test_expired_token_is_401_without_an_alarm(client, session, forge):
    past = utcnow() - timedelta(hours=1)
    token = forge(changes={"iat": past, "nbf": past, "exp": past + timedelta(minutes=15)})
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 401
    assert events(session, "auth.token_rejected") == []


def test_rotated_out_key_no_longer_verifies(client_with, session, forge):
    new_key = secrets.token_urlsafe(32)
    client = client_with(jwt_keys={"2027-01": new_key}, jwt_active_key="2027-01", jwt_secret=None)
    token = forge()
    rejected(client, session, token, "unknown key id")


def test_rotation_with_both_keys_keeps_old_tokens_and_signs_with_the_new(
    client_with, session, forge
):
    client = client_with(
        # the key of before, and the new one that signs from now on
        jwt_keys={forge.kid: forge.key, "2027-01": secrets.token_urlsafe(32)},
        jwt_active_key="2027-01",
    )
    assert client.get(ME, headers=bearer(forge())).status_code == 200
    engineer = make_user(session, Role.engineer)
    token = login(client, engineer.username).json()["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == "2027-01"
    assert client.get(ME, headers=bearer(token)).status_code == 200
