"""Who is calling: the authenticated user as the rest of the code sees them."""

from __future__ import annotations

from dataclasses import dataclass

from oversight.vocabulary import Role


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: Role
    customer_id: int | None = None

    @property
    def is_client(self) -> bool:
        return self.role is Role.client
