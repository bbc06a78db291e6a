"""Errors are documented as they are sent (issue 12, finding 14): the text, PNG and export
routes declared their 4xx answers as `text/plain` (their own media type) while every error
is a JSON body. The document now says `application/json` for every error of every route,
and what a `.txt` route sends matches it."""

from __future__ import annotations

from operations import operations


def test_every_error_response_of_the_document_is_json(app):
    wrong = []
    for method, path, operation in operations(app.openapi()):
        for status, response in operation["responses"].items():
            documented = set(response.get("content", {"application/json": {}}))
            if status.startswith(("4", "5")) and documented != {"application/json"}:
                wrong.append((method, path, status, sorted(documented)))
    assert not wrong, wrong


def test_a_text_route_sends_its_errors_as_the_document_says(app, client):
    path = "/api/v1/analytics/summary.txt"
    documented = app.openapi()["paths"][path]["get"]["responses"]["401"]["content"]
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"].split(";")[0] in documented
    assert response.json()["error"]["code"]
