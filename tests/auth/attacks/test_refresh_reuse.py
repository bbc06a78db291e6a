"""Attack: replaying a stolen refresh token. A used token presented again revokes its whole
session (RFC 9700): the thief's and the owner's tokens stop working, and the trail says so.
Of concurrent refreshes with one token exactly one wins."""

from __future__ import annotations

from sqlalchemy import select

from builders import make_user
from logins import REFRESH, bearer, events, login
from oversight.auth import sessions
from oversight.auth.models import AuthSession, User
from oversight.db.session import session_factory, unit_of_work
from oversight.errors import NotAuthenticated
from oversight.vocabulary import Role
from races import race

ME = "/api/v1/users/me"


def test_replayed_refresh_token_revokes_the_whole_session(client, session):
    owner = make_user(session, Role.engineer)
    stolen = login(client, owner.username).json()
    rotated = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]}).json()
    replay = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 401
    # The owner's newer tokens die with the family.
    assert client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]}).status_code == 401
    assert client.get(ME, headers=bearer(rotated["access_token"])).status_code == 401
    [event] = events(session, "auth.refresh_reused", entity_id=str(owner.id))
    assert event.client_ip == "testclient"
    family = session.scalar(select(AuthSession).where(AuthSession.user_id == owner.id))
    session.refresh(family)
    assert family.revoked_reason == "refresh token reused"


def test_other_sessions_of_the_user_survive_a_replay(client, session):
    owner = make_user(session, Role.engineer)
    stolen = login(client, owner.username).json()
    other = login(client, owner.username).json()
    client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})
    client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200


def test_refresh_token_of_a_disabled_user_is_refused(client, session):
    owner = make_user(session, Role.engineer)
    tokens = login(client, owner.username).json()
    session.get(User, owner.id).is_active = False
    session.flush()
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_concurrent_refreshes_with_one_token_exactly_one_wins(committed):
    factory = session_factory(committed.engine)
    with unit_of_work(factory) as setup:
        user = make_user(setup, Role.engineer)
        issued = sessions.start_session(
            session=setup, settings=committed.settings, user=user, second_factor=None
        )

    outcomes = race(
        committed.engine,
        6,
        lambda s: sessions.refresh(
            session=s, settings=committed.settings, refresh_token=issued.refresh_token
        ),
    )
    winners = [o for o in outcomes if isinstance(o, sessions.IssuedSession)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, NotAuthenticated) for o in outcomes if o not in winners)
    with unit_of_work(factory) as check:
        family = check.get(AuthSession, issued.session_id)
        assert family.revoked_reason == "refresh token reused"
        assert events(check, "auth.refresh_reused", entity_id=str(user.id))
