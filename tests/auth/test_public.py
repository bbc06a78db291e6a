"""Every route requires an authenticated principal unless it is on the one allowlist
(`oversight.auth.public`): the routes are walked with their dependency trees, and then called
without a token."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from oversight.auth.public import PUBLIC_ROUTES, is_public
from oversight.config import Settings
from oversight.main import create_app
from routes import requires_principal, routes_of, sample_url


@pytest.fixture(scope="module")
def bare_app() -> FastAPI:
    """The app as production builds it (docs on, so their routes are walked too)."""
    return create_app(
        Settings(_env_file=None, env="test", database={"url": "sqlite://"})  # type: ignore[call-arg]
    )


def unguarded(app: FastAPI) -> list[str]:
    return [
        f"{route.method} {route.path}"
        for route in routes_of(app)
        if not requires_principal(route.dependant) and not is_public(route.method, route.path)
    ]


def test_every_route_is_protected_or_allowlisted(bare_app):
    assert unguarded(bare_app) == []


def test_the_walk_catches_a_route_without_the_principal(bare_app):
    app = create_app(bare_app.state.settings)
    extra = APIRouter()

    @extra.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    app.include_router(extra)
    assert unguarded(app) == ["GET /api/v1/forgotten"]


def test_every_allowlisted_route_exists(bare_app):
    present = {(route.method, route.path) for route in routes_of(bare_app)}
    for public in PUBLIC_ROUTES:
        for method in public.methods:
            assert (method, public.path) in present, f"stale allowlist entry {public}"


def test_allowlisted_routes_do_not_need_the_principal(bare_app):
    """A route on the allowlist that requires a token anyway should come off the list."""
    needless = [
        route.key
        for route in routes_of(bare_app)
        if is_public(route.method, route.path) and requires_principal(route.dependant)
    ]
    assert needless == []


def protected_routes() -> list[tuple[str, str]]:
    app = create_app(
        Settings(_env_file=None, env="test", database={"url": "sqlite://"})  # type: ignore[call-arg]
    )
    return [route.key for route in routes_of(app) if requires_principal(route.dependant)]


@pytest.mark.parametrize("token", [None, "not-a-jwt"], ids=["no-token", "garbage-token"])
def test_protected_routes_answer_401_without_a_valid_token(client, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answers = {}
    for method, path in protected_routes():
        response = client.request(method, sample_url(path), headers=headers, json={})
        answers[f"{method} {path}"] = (response.status_code, response.json()["error"]["code"])
    assert set(answers.values()) == {(401, "not_authenticated")}, answers
