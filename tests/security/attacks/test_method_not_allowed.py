"""405 answers name every method of the path in `Allow` (issue 12, finding 13; RFC 9110,
15.5.6): Starlette named only the first route whose path matched (`OPTIONS /customers` said
`allow: GET` although POST exists). Walked over every path of the document."""

from __future__ import annotations

from builders import make_user
from operations import operations
from oversight.vocabulary import Role
from routes import sample_url

UNUSED = ("PUT", "DELETE", "PATCH", "POST", "GET")


def test_every_405_lists_every_method_of_the_path(app, client):
    documented: dict[str, set[str]] = {}
    for method, path, _ in operations(app.openapi()):
        documented.setdefault(path, set()).add(method)
    checked = 0
    for path, methods in documented.items():
        url = sample_url(path)
        unused = next(method for method in UNUSED if method not in methods)
        response = client.request(unused, url)
        assert response.status_code == 405, (unused, url, response.status_code)
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert methods <= allowed, (unused, url, allowed, methods)
        assert unused not in allowed
        checked += 1
    assert checked > 40


def test_options_on_the_customers_collection_names_get_and_post(client):
    response = client.options("/api/v1/customers")
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}


def test_a_literal_path_is_not_shadowed_by_a_parametrised_one(client, session, auth):
    """`PATCH /requests/assign` reached `PATCH /requests/{request_id}` and answered 422
    "unable to parse request_id"; the path is the batch-assign route's, which serves POST."""
    headers = auth(make_user(session, Role.project_manager))
    for method in ("PATCH", "GET", "DELETE"):
        response = client.request(method, "/api/v1/requests/assign", json={}, headers=headers)
        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == "POST"
    assert client.get("/api/v1/requests/abc", headers=headers).status_code == 422
