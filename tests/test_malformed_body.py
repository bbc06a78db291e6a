"""A body that is not JSON at all is 400 `malformed_body` on every route that takes one;
a well-formed body that fails validation stays 422 `invalid_input`."""

from __future__ import annotations

import pytest

from builders import make_user
from oversight.vocabulary import Role
from routes import routes_of, sample_url

BROKEN = b'{"name": "Unfinished", '


def _routes_with_bodies(app):
    return [
        route
        for route in routes_of(app)
        if route.path.startswith("/api/v1")
        and route.dependant is not None
        and route.dependant.body_params
    ]


def test_every_route_with_a_body_answers_400_malformed_body(client, session, auth, app):
    admin = make_user(session, Role.admin)
    routes = _routes_with_bodies(app)
    assert len(routes) > 20  # the sweep found the API's writing routes
    for route in routes:
        response = client.request(
            route.method,
            sample_url(route.path),
            content=BROKEN,
            headers=auth(admin) | {"content-type": "application/json"},
        )
        assert response.status_code == 400, (route.key, response.text)
        error = response.json()["error"]
        assert error["code"] == "malformed_body", route.key
        assert error["message"].startswith("malformed JSON body at offset 23:"), error


@pytest.mark.parametrize("body", [b"[1, 2", b"not json", b'{"a": 1}}'], ids=str)
def test_the_login_route_too(client, body):
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


def test_a_body_fastapi_cannot_decode_is_malformed_body_too(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(
        "/api/v1/customers",
        content='{"name": "\xe9"}'.encode("latin-1"),
        headers=auth(admin) | {"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


def test_a_well_formed_invalid_body_stays_422(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post("/api/v1/customers", json={"name": ""}, headers=auth(admin))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
