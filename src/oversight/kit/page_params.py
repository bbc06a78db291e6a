"""The page a list asks for (no web framework here: repositories and services use it too)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int = 1
    page_size: int = 50
    sort: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size
