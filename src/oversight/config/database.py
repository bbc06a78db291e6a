"""The database connection: `OVERSIGHT_DATABASE__*`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from oversight.config.base import _Group


class DatabaseSettings(_Group):
    url: str = "sqlite:///var/oversight.db"
    echo: bool = False
    # Connections a process keeps open, and how many more it may open for a burst (closed
    # again when returned to a full pool). One request holds a connection from its first
    # statement to its commit; 15 kept covers a worker's usual concurrency without reopening
    # connections under load, and 4 workers x (15 + 5) stays below PostgreSQL's default
    # max_connections of 100.
    pool_size: Annotated[int, Field(ge=1, le=200)] = 15
    max_overflow: Annotated[int, Field(ge=0, le=200)] = 5

    @field_validator("url")
    @classmethod
    def _parseable(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL (expected e.g. sqlite:///var/oversight.db)"
            ) from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r} (sqlite or postgresql)"
            )
        return value
