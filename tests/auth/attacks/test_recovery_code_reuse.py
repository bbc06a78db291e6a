"""Attack: reusing a recovery code (from a photographed printout, say). Each code works once;
a second use is refused and audited; codes of another user or an old set do not work."""

from __future__ import annotations

from builders import make_user
from logins import VERIFY, bearer, events, login
from oversight.auth.models import RecoveryCode
from oversight.vocabulary import Role


def test_a_used_recovery_code_is_refused_and_audited(client, session, tf):
    admin = make_user(session, Role.admin)
    enrolled = tf.enrol(client, admin)
    code = enrolled.recovery_codes[0]
    pending = login(client, admin.username).json()["pending_token"]
    assert (
        client.post(VERIFY, json={"recovery_code": code}, headers=bearer(pending)).status_code
        == 200
    )
    pending = login(client, admin.username).json()["pending_token"]
    reuse = client.post(VERIFY, json={"recovery_code": code}, headers=bearer(pending))
    assert reuse.status_code == 401
    [event] = events(session, "auth.recovery_code_reused", entity_id=str(admin.id))
    assert event.client_ip == "testclient"


def test_another_users_recovery_code_is_refused(client, session, tf):
    victim, attacker = make_user(session, Role.admin), make_user(session, Role.director)
    tf.enrol(client, victim)
    attackers_codes = tf.enrol(client, attacker).recovery_codes
    pending = login(client, victim.username).json()["pending_token"]
    response = client.post(
        VERIFY, json={"recovery_code": attackers_codes[0]}, headers=bearer(pending)
    )
    assert response.status_code == 401
    assert events(session, "auth.totp_failed", entity_id=str(victim.id))[-1].reason == (
        "wrong recovery code"
    )


def test_recovery_codes_are_stored_only_as_hashes(client, session, tf):
    admin = make_user(session, Role.admin)
    codes = tf.enrol(client, admin).recovery_codes
    stored = {row.code_hash for row in session.query(RecoveryCode).filter_by(user_id=admin.id)}
    assert len(stored) == 10
    assert not stored & set(codes)
