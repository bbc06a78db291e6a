"""Checks on the query string that hold for every route, applied once on the API router."""

from __future__ import annotations

from fastapi import Request

from oversight.errors import InvalidInput


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
