"""Managing users: creation, role changes, disabling. Services flush; callers commit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.auth.passwords import new_password_hash
from oversight.auth.repository import find_by_username
from oversight.auth.sessions import revoke_user_sessions
from oversight.config import Settings
from oversight.customers.repository import get_customer_or_raise
from oversight.db.intent import note_intent
from oversight.errors import Conflict, InvalidInput, referenced_by
from oversight.users import repository
from oversight.users.schemas import ProfileUpdate, UserCreate, UserUpdate
from oversight.vocabulary import Role

DEFAULT_ENGINEER_CAPACITY = Decimal(40)


def _check_customer_link(session: Session, role: Role, customer_id: int | None) -> None:
    if role is Role.client:
        if customer_id is None:
            raise InvalidInput(
                "a client user must belong to a customer: set customer_id",
                details={"field": "customer_id"},
            )
        with referenced_by("customer_id"):
            get_customer_or_raise(session, customer_id)
    elif customer_id is not None:
        raise InvalidInput(
            f"only client users belong to a customer, not role {role.value!r}",
            details={"field": "customer_id"},
        )


def create_user(*, session: Session, settings: Settings, data: UserCreate) -> User:
    username = data.username.lower()
    if find_by_username(session, username) is not None:
        raise Conflict(f"username {username!r} is taken")
    password_hash = new_password_hash(settings=settings, password=data.password, username=username)
    _check_customer_link(session, data.role, data.customer_id)
    capacity = data.weekly_capacity_hours
    if data.role is Role.engineer and capacity is None:
        capacity = DEFAULT_ENGINEER_CAPACITY
    user = User(
        username=username,
        full_name=data.full_name,
        password_hash=password_hash,
        role=data.role,
        email=data.email,
        phone=data.phone,
        customer_id=data.customer_id,
        weekly_capacity_hours=capacity,
        cost_rate=data.cost_rate,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def _keep_an_active_admin(session: Session, user: User, *, role: Role, active: bool) -> None:
    """Conflict if the change would leave no active administrator (nobody could manage users
    any more). On PostgreSQL the active admins' rows are locked until commit, so two admins
    demoting each other at once cannot both succeed."""
    was_active_admin = user.role is Role.admin and user.is_active
    stays_active_admin = role is Role.admin and active
    if not was_active_admin or stays_active_admin:
        return
    others = [
        admin_id for admin_id in repository.lock_active_admin_ids(session) if admin_id != user.id
    ]
    if not others:
        raise Conflict(
            f"{user.username} is the last active administrator: at least one active "
            "administrator must remain (rule: last_admin); make another user admin first",
            details={"rule": "last_admin"},
        )


def update_user(*, session: Session, user: User, data: UserUpdate) -> User:
    """Apply the fields sent. Demoting or disabling the last active administrator is
    refused (409, rule `last_admin`)."""
    changes: dict[str, Any] = data.provided()
    role = changes.get("role", user.role)
    _keep_an_active_admin(session, user, role=role, active=changes.get("is_active", user.is_active))
    customer_id = changes.get("customer_id", user.customer_id)
    if role is not Role.client and "role" in changes and "customer_id" not in changes:
        customer_id = None
        changes["customer_id"] = None
    _check_customer_link(session, role, customer_id)
    if role != user.role:
        note_intent(session, user, "user.role_changed")
    elif changes.get("is_active") is False and user.is_active:
        note_intent(session, user, "user.disabled")
    if changes.get("is_active") is False:
        revoke_user_sessions(session=session, user_id=user.id, reason="user disabled")
    for field, value in changes.items():
        setattr(user, field, value)
    session.flush()
    return user


def update_profile(*, session: Session, user: User, data: ProfileUpdate) -> User:
    changes = data.provided()
    for field, value in changes.items():
        setattr(user, field, value)
    session.flush()
    return user


def set_role(*, session: Session, user: User, role: Role, customer_id: int | None = None) -> User:
    return update_user(
        session=session, user=user, data=UserUpdate(role=role, customer_id=customer_id)
    )


def disable_user(*, session: Session, user: User) -> User:
    """Disable the user and end their sessions; never the last active administrator."""
    _keep_an_active_admin(session, user, role=user.role, active=False)
    note_intent(session, user, "user.disabled")
    user.is_active = False
    revoke_user_sessions(session=session, user_id=user.id, reason="user disabled")
    session.flush()
    return user


def set_temporary_password(
    *, session: Session, settings: Settings, user: User, password: str
) -> int:
    """An administrator's reset: the password (it must pass the policy) works for one thing
    only, changing it (`must_change_password`); every session of the user ends. Audited as
    `user.password_reset`. Returns how many sessions ended."""
    new_hash = new_password_hash(settings=settings, password=password, username=user.username)
    note_intent(session, user, "user.password_reset")
    user.password_hash = new_hash
    user.must_change_password = True
    session.flush()
    return revoke_user_sessions(
        session=session, user_id=user.id, reason="temporary password set by an administrator"
    )
