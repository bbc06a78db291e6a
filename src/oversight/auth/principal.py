"""Who is calling: the authenticated user as the rest of the code sees them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.vocabulary import Role


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: Role
    customer_id: int | None = None
    session_id: str | None = None  # the login session (refresh family) the token belongs to
    dispatcher: bool = False  # sees the unassigned inbox (OVERSIGHT_DESK__DISPATCHER_ROLES)
    must_change_password: bool = False  # holds a temporary password: may only change it

    @property
    def is_client(self) -> bool:
        return self.role is Role.client


@dataclass(frozen=True, slots=True)
class TwoFactorCaller:
    """Who calls a 2FA endpoint: `pending` when they hold only the token login gave them
    before the second step."""

    user: User
    pending: bool


PRINCIPAL_KEY = "oversight.principal"


def bind_principal(session: Session, principal: Principal) -> None:
    """Scope every later query of `session` to what `principal` may see."""
    session.info[PRINCIPAL_KEY] = principal


def bound_principal(session: Session) -> Principal | None:
    principal = session.info.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None
