"""The last active administrator cannot be demoted or disabled (409, rule `last_admin`),
through the API or the CLI; with another active admin, both work."""

from __future__ import annotations

import pytest

from builders import make_user
from oversight.vocabulary import Role

RULE = "at least one active administrator must remain"


@pytest.fixture
def lone_admin(session):
    """The only active admin (each test's data is its own, rolled back afterwards)."""
    return make_user(session, Role.admin)


@pytest.mark.parametrize(
    "change", [{"role": "viewer"}, {"is_active": False}, {"role": "director", "is_active": False}]
)
def test_the_last_admin_cannot_be_demoted_or_disabled(client, session, auth, lone_admin, change):
    response = client.patch(f"/api/v1/users/{lone_admin.id}", json=change, headers=auth(lone_admin))
    assert response.status_code == 409
    assert RULE in response.json()["error"]["message"]
    assert response.json()["error"]["details"] == {"rule": "last_admin"}
    me = client.get("/api/v1/users/me", headers=auth(lone_admin)).json()
    assert (me["role"], me["is_active"]) == ("admin", True)


def test_a_disabled_admin_does_not_count(client, session, auth, lone_admin):
    make_user(session, Role.admin, is_active=False)
    response = client.patch(
        f"/api/v1/users/{lone_admin.id}", json={"role": "viewer"}, headers=auth(lone_admin)
    )
    assert response.status_code == 409


def test_with_another_active_admin_an_admin_may_step_down(client, session, auth, lone_admin):
    other = make_user(session, Role.admin)
    demoted = client.patch(
        f"/api/v1/users/{lone_admin.id}", json={"role": "viewer"}, headers=auth(other)
    )
    assert demoted.status_code == 200, demoted.text
    last = client.patch(f"/api/v1/users/{other.id}", json={"is_active": False}, headers=auth(other))
    assert last.status_code == 409


def test_other_edits_of_the_last_admin_are_fine(client, session, auth, lone_admin):
    response = client.patch(
        f"/api/v1/users/{lone_admin.id}",
        json={"full_name": "Still In Charge", "role": "admin", "is_active": True},
        headers=auth(lone_admin),
    )
    assert response.status_code == 200, response.text
