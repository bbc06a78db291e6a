"""The request body size limit: by Content-Length before anything runs, and while a chunked
body (no Content-Length) is read."""

from __future__ import annotations

import pytest

from builders import make_user
from edge import client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.customers.models import Customer
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

LIMIT = 4096


@pytest.fixture
def small(app, settings, engine):
    return make_edge_app(app, edge_settings(settings, api={"max_body_bytes": LIMIT}), engine)


def chunks(total: int, size: int = 1024):
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def assert_too_large(response) -> None:
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert str(LIMIT) in error["message"]


def test_content_length_over_the_limit_is_refused_before_the_handler_runs(small, session, auth):
    admin = make_user(session, Role.admin)
    padding = "p" * (LIMIT + 1)
    with client_from(small) as client:
        response = client.post(
            "/api/v1/customers",
            json={"name": "Too Big Ltd", "address": padding},
            headers=auth(admin),
        )
    assert_too_large(response)
    assert session.query(Customer).filter_by(name="Too Big Ltd").count() == 0


def test_chunked_body_over_the_limit_is_refused(small, session, auth):
    admin = make_user(session, Role.admin)
    with client_from(small) as client:
        response = client.post(
            "/api/v1/customers",
            content=chunks(LIMIT * 3),
            headers={**auth(admin), "Content-Type": "application/json"},
        )
    assert_too_large(response)


def test_chunked_login_body_over_the_limit_is_refused(small):
    with client_from(small) as client:
        response = client.post(
            "/api/v1/auth/login",
            content=chunks(LIMIT * 3),
            headers={"Content-Type": "application/json"},
        )
    assert_too_large(response)


def test_a_body_within_the_limit_passes_chunked_or_not(small, session, auth):
    admin = make_user(session, Role.admin)
    body = b'{"name": "Small Ltd"}'
    other = b'{"name": "Other Small Ltd"}'
    with client_from(small) as client:
        plain = client.post(
            "/api/v1/customers",
            content=body,
            headers={**auth(admin), "Content-Type": "application/json"},
        )
        chunked = client.post(
            "/api/v1/customers",
            content=iter([other[:5], other[5:]]),
            headers={**auth(admin), "Content-Type": "application/json"},
        )
    assert plain.status_code == chunked.status_code == 201
