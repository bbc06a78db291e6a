"""`oversight users …`: create, list, change role, disable, reset 2FA, end sessions."""

from __future__ import annotations

import getpass
import json
import os
import sys
from decimal import Decimal
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from oversight.auth import enrolment as enrolment_service
from oversight.auth import repository as account_repository
from oversight.auth import two_factor as two_factor_service
from oversight.auth.models import User
from oversight.auth.sessions import end_user_sessions
from oversight.config import describe_validation_error
from oversight.config.cli import fail, settings_or_exit
from oversight.db.session import open_database, session_factory, unit_of_work
from oversight.errors import AppError
from oversight.kit.pagination import PageParams
from oversight.users import repository as user_repository
from oversight.users import service as user_service
from oversight.users.schemas import UserCreate
from oversight.vocabulary import Role

users_app = typer.Typer(no_args_is_help=True, help="Manage user accounts.")
console = Console()


def _user_or_fail(session: Session, name: str) -> User:
    user = account_repository.find_by_username(session, name)
    if user is None:
        fail(f"no user named {name!r}")
    return user


def _new_password(password_env: str | None) -> str:
    """A password from the environment variable named, or typed twice at a prompt."""
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"environment variable {password_env} is empty or not set", code=2)
        return password
    if not sys.stdin.isatty():
        fail("no terminal to type the password at: pass --password-env NAME", code=2)
    password = getpass.getpass("password: ")
    if getpass.getpass("repeat: ") != password:
        fail("the passwords differ", code=2)
    return password


@users_app.command("create")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="one of: " + ", ".join(Role))],
    full_name: Annotated[str, typer.Option("--name", help="full name")],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    customer_id: Annotated[
        int | None, typer.Option(min=1, help="required for client users")
    ] = None,
    capacity: Annotated[Decimal | None, typer.Option(help="engineer: weekly hours")] = None,
    cost_rate: Annotated[Decimal | None, typer.Option(help="engineer: cost per hour")] = None,
    password_env: Annotated[
        str | None,
        typer.Option(help="read the password from this environment variable instead of a prompt"),
    ] = None,
) -> None:
    """Create a user; the password is prompted for (or read from --password-env)."""
    settings = settings_or_exit()
    password = _new_password(password_env)
    try:
        data = UserCreate(
            username=username,
            full_name=full_name,
            password=password,
            role=role,
            email=email,
            phone=phone,
            customer_id=customer_id,
            weekly_capacity_hours=capacity,
            cost_rate=cost_rate,
        )
    except ValidationError as error:
        fail(describe_validation_error(error).replace("invalid setting OVERSIGHT_", "invalid "), 2)
    try:
        with unit_of_work(session_factory(open_database(settings))) as session:
            user = user_service.create_user(session=session, settings=settings, data=data)
    except AppError as error:
        fail(error.message, code=2)
    console.print(f"created user {user.username} (id {user.id}, role {user.role.value})")


@users_app.command("list")
def list_users(
    role: Annotated[Role | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List users."""
    settings = settings_or_exit()
    with unit_of_work(session_factory(open_database(settings))) as session:
        rows, _ = user_repository.list_users(
            session, PageParams(page=1, page_size=10_000), role=role
        )
        records = [
            {
                "id": u.id,
                "username": u.username,
                "name": u.full_name,
                "role": u.role.value,
                "active": u.is_active,
            }
            for u in rows
        ]
    if as_json:
        console.print_json(json.dumps(records))
        return
    table = Table()
    for column in ("id", "username", "name", "role", "active"):
        table.add_column(column)
    for record in records:
        table.add_row(*(str(value) for value in record.values()))
    console.print(table)


@users_app.command("set-role")
def set_role(
    username: str,
    role: Role,
    customer_id: Annotated[
        int | None, typer.Option(min=1, help="required when the role is client")
    ] = None,
) -> None:
    """Change a user's role (takes effect on their next request)."""
    settings, name = settings_or_exit(), username.strip().lower()
    try:
        with unit_of_work(session_factory(open_database(settings))) as session:
            user = _user_or_fail(session, name)
            user_service.set_role(session=session, user=user, role=role, customer_id=customer_id)
    except AppError as error:
        fail(error.message, code=2)
    console.print(f"{name} is now {role.value}")


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable a user: their tokens stop working on the next request. Never the last active
    administrator."""
    settings, name = settings_or_exit(), username.strip().lower()
    try:
        with unit_of_work(session_factory(open_database(settings))) as session:
            user = _user_or_fail(session, name)
            user_service.disable_user(session=session, user=user)
    except AppError as error:
        fail(error.message, code=2)
    console.print(f"{name} is disabled")


@users_app.command("set-password")
def set_password(
    username: str,
    password_env: Annotated[
        str | None,
        typer.Option(help="read the password from this environment variable instead of a prompt"),
    ] = None,
) -> None:
    """Set a temporary password the user must change at their next login; ends their
    sessions (audited as user.password_reset)."""
    settings, name = settings_or_exit(), username.strip().lower()
    password = _new_password(password_env)
    try:
        with unit_of_work(session_factory(open_database(settings))) as session:
            user = _user_or_fail(session, name)
            ended = user_service.set_temporary_password(
                session=session, settings=settings, user=user, password=password
            )
    except AppError as error:
        fail(error.message, code=2)
    console.print(
        f"{name} has a temporary password to change at next login ({ended} sessions ended)"
    )


@users_app.command("reset-2fa")
def reset_two_factor(username: str) -> None:
    """Remove a user's second factor and recovery codes and end their sessions (a lost
    phone); they enrol again at their next login."""
    settings, name = settings_or_exit(), username.strip().lower()
    with unit_of_work(session_factory(open_database(settings))) as session:
        user = _user_or_fail(session, name)
        two_factor_service.reset(session=session, user=user)
    console.print(f"{name}: two-factor authentication reset, sessions ended")


@users_app.command("enrolment-token")
def issue_enrolment_token(username: str) -> None:
    """Issue a single-use, expiring token with which the user may enrol a second factor (an
    account that never enrolled, or was reset, and is no longer new needs one)."""
    settings = settings_or_exit()
    with unit_of_work(session_factory(open_database(settings))) as session:
        user = _user_or_fail(session, username)
        issued = enrolment_service.issue(
            session=session, settings=settings, user=user, issued_by=None
        )
    console.print(
        f"{user.username}: enrolment token {issued.token} "
        f"(single use, expires {issued.expires_at:%Y-%m-%d %H:%M} UTC)"
    )


@users_app.command("end-sessions")
def end_sessions(username: str) -> None:
    """End every session of a user (a stolen laptop): refresh and access tokens stop working."""
    settings, name = settings_or_exit(), username.strip().lower()
    with unit_of_work(session_factory(open_database(settings))) as session:
        user = _user_or_fail(session, name)
        ended = end_user_sessions(session=session, user_id=user.id, reason="ended by CLI")
    console.print(f"{name}: {ended} session(s) ended")
