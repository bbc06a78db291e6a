"""Checks every API request passes before its handler, applied once on the API router."""

from __future__ import annotations

from fastapi import Request

from oversight.errors import InvalidInput, UnsupportedMediaType

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def reject_nul_in_query(request: Request) -> None:
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


def require_json_body(request: Request) -> None:
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
