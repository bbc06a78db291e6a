from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from builders import make_user
from oversight.auth.dependencies import SessionDep
from oversight.customers.models import Customer
from oversight.vocabulary import Role


@pytest.fixture
def failing_client(app):
    @app.get("/boom/python")
    def explode() -> None:
        raise RuntimeError("password=hunter2 in SELECT secret FROM users")

    @app.get("/boom/sql")
    def bad_sql(session: SessionDep) -> None:
        session.execute(text("SELECT no_such_column FROM users"))

    @app.get("/boom/duplicate")
    def duplicate(session: SessionDep) -> None:
        session.add_all([Customer(name="Twin Co"), Customer(name="Twin Co")])
        session.flush()

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_lost_uniqueness_race_is_409_without_sql(failing_client):
    response = failing_client.get("/boom/duplicate")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "Twin Co" not in response.text
    assert "customers" not in response.text


@pytest.mark.parametrize("path", ["/boom/python", "/boom/sql"])
def test_server_error_reveals_nothing(failing_client, path):
    response = failing_client.get(path, headers={"X-Request-ID": "req-test-1"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "internal server error",
            "details": {"request_id": "req-test-1"},
        }
    }
    for leak in ("hunter2", "SELECT", "Traceback", "no_such_column", "users"):
        assert leak not in response.text


def test_unknown_path_has_the_error_shape(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_has_the_error_shape(client, session, auth):
    response = client.delete("/api/v1/customers", headers=auth(make_user(session, Role.admin)))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_is_400_malformed_body_naming_the_problem(client, session, auth):
    headers = {**auth(make_user(session, Role.admin)), "Content-Type": "application/json"}
    response = client.post("/api/v1/customers", content=b'{"name": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"
    assert "json" in response.json()["error"]["message"].lower()


def test_non_integer_id_is_422(client, session, auth):
    response = client.get("/api/v1/customers/abc", headers=auth(make_user(session, Role.admin)))
    assert response.status_code == 422
    assert "customer_id" in response.json()["error"]["message"]


def test_health_and_ready_need_no_login(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["status"] == "ok"


def test_docs_and_schema_are_served_with_bearer_security(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert "/api/v1/requests/{request_id}/approve" in schema["paths"]
