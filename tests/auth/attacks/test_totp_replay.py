"""Attack: replaying a TOTP code (shoulder-surfed, phished, or sniffed). A code of a time step
at or before the last accepted one is refused and audited, also when requests race: exactly
one of concurrent verifications with the same code succeeds."""

from __future__ import annotations

from datetime import timedelta

from builders import make_user
from logins import VERIFY, bearer, events, login
from oversight.auth import two_factor
from oversight.auth.models import User, UserTotp
from oversight.db.session import session_factory, unit_of_work
from oversight.errors import NotAuthenticated
from oversight.kit.clock import utcnow
from oversight.security import totp
from oversight.vocabulary import Role
from races import race


def test_the_same_code_twice_is_refused_and_audited(client, session, tf):
    admin = make_user(session, Role.admin)
    tf.enrol(client, admin)
    code = tf.code(admin.id)
    first = login(client, admin.username).json()["pending_token"]
    assert client.post(VERIFY, json={"code": code}, headers=bearer(first)).status_code == 200
    second = login(client, admin.username).json()["pending_token"]
    replay = client.post(VERIFY, json={"code": code}, headers=bearer(second))
    assert replay.status_code == 401
    assert replay.json()["error"]["message"] == "wrong or already used code"
    [event] = events(session, "auth.totp_replayed", entity_id=str(admin.id))
    assert event.client_ip == "testclient"


def test_a_code_older_than_the_last_accepted_one_is_refused(client, session, tf):
    admin = make_user(session, Role.admin)
    tf.enrol(client, admin)
    older, newer = tf.code(admin.id, steps_ahead=-1), tf.code(admin.id, steps_ahead=1)
    pending = login(client, admin.username).json()["pending_token"]
    assert client.post(VERIFY, json={"code": newer}, headers=bearer(pending)).status_code == 200
    pending = login(client, admin.username).json()["pending_token"]
    assert client.post(VERIFY, json={"code": older}, headers=bearer(pending)).status_code == 401
    assert events(session, "auth.totp_replayed", entity_id=str(admin.id))


def test_the_enrolment_code_cannot_be_replayed_at_login(client, session, tf):
    admin = make_user(session, Role.admin)
    tf.enrol(client, admin)
    tf.clock.advance(-1)  # back to the step the enrolment was confirmed with
    pending = login(client, admin.username).json()["pending_token"]
    response = client.post(VERIFY, json={"code": tf.code(admin.id)}, headers=bearer(pending))
    assert response.status_code == 401


def test_concurrent_verifications_of_one_code_exactly_one_wins(committed):
    settings = committed.settings
    factory = session_factory(committed.engine)
    with unit_of_work(factory) as setup:
        user = make_user(setup, Role.admin)
        two_factor.start_enrolment(session=setup, settings=settings, user=user)
        secret = two_factor.open_secret(setup.get(UserTotp, user.id))
        two_factor.confirm_enrolment(
            session=setup, settings=settings, user=user, code=totp.code_at(secret, utcnow())
        )
    code = totp.code_at(secret, utcnow() + timedelta(seconds=totp.STEP_SECONDS))

    def verify(s):  # type: ignore[no-untyped-def]
        two_factor.verify_code(session=s, settings=settings, user=s.get(User, user.id), code=code)
        return "accepted"

    outcomes = race(committed.engine, 3, verify)  # 3: below the back-off threshold
    assert outcomes.count("accepted") == 1, outcomes
    assert all(isinstance(o, NotAuthenticated) for o in outcomes if o != "accepted")
    with unit_of_work(factory) as check:
        assert len(events(check, "auth.totp_replayed", entity_id=str(user.id))) == 2
