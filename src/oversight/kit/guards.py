"""Checks every API request passes before its handler, applied once on the API router.

Each is pure computation on the request, so each is `async def`: FastAPI runs a plain `def`
dependency on a worker thread, a hand-off that would cost more than the check itself."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from oversight.errors import InvalidInput, UnsupportedMediaType

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def reject_nul_in_query(request: Request) -> None:
    """A NUL character in any query parameter is invalid input (422 naming the parameter).

    PostgreSQL text cannot hold U+0000 and its driver refuses to send it; without this check a
    filter such as `?search=%00` would be a server error on PostgreSQL and a match on SQLite.
    """
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise InvalidInput(
                f"query parameter {name!r} must not contain NUL (U+0000) characters",
                details={"field": f"query.{name}"},
            )


_ACCEPTED_QUERY: dict[tuple[int, int, str], frozenset[str] | None] = {}


def accepted_query_parameters(request: Request, route: Any) -> frozenset[str] | None:
    """The query parameters the OpenAPI document declares for this operation (the contract),
    None if the document does not list it. Computed once per app, route and method.

    The matched route knows its path below its router's prefix only; the operation is the
    documented path that ends with it under the prefix this request came through."""
    method = request.method.lower()
    key = (id(request.app), id(route), method)
    if key not in _ACCEPTED_QUERY:
        local = str(getattr(route, "path_format", ""))
        found: frozenset[str] | None = None
        for path, operations in request.app.openapi().get("paths", {}).items():
            prefix = path[: len(path) - len(local)]
            if (
                path.endswith(local)
                and request.url.path.startswith(prefix)
                and method in operations
            ):
                parameters = operations[method].get("parameters", ())
                found = frozenset(p["name"] for p in parameters if p["in"] == "query")
                break
        _ACCEPTED_QUERY[key] = found
    return _ACCEPTED_QUERY[key]


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is invalid input (422 naming it and the
    accepted ones): a misspelt filter (`?request=` for `?request_id=`) would otherwise be
    ignored and the caller handed everything."""
    route = request.scope.get("route")
    accepted = accepted_query_parameters(request, route) if route is not None else None
    if accepted is None:
        return
    unknown = sorted({name for name in request.query_params if name not in accepted})
    if unknown:
        listed = ", ".join(sorted(accepted)) or "none"
        raise InvalidInput(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(name) for name in unknown)}; accepted: {listed}",
            details={"unknown": unknown, "accepted": sorted(accepted)},
        )


async def require_json_body(request: Request) -> None:
    """A request body must be JSON: 415 naming the media type otherwise.

    Without this a form or text body would be read as no body at all, and the caller would be
    told only that the body is not an object.
    """
    if request.method not in _BODY_METHODS or not _has_body(request):
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"request bodies must be application/json, not {media_type or 'unspecified'}",
            details={"field": "header.content-type"},
        )


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in {"", "0"}
    return "transfer-encoding" in request.headers
