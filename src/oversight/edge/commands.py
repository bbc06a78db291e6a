"""`oversight ratelimit reset`: lift the rate limits of one address, user or login account."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy import select

from oversight.config import get_settings
from oversight.db.session import session_factory
from oversight.edge.app import make_rate_limiter
from oversight.security.ratelimit import account_identity, ip_identity
from oversight.users.models import User
from oversight.wiring import open_database

ratelimit_app = typer.Typer(no_args_is_help=True, help="Rate limits.")


def _user_id(username: str) -> str:
    settings = get_settings()
    engine = open_database(settings)
    try:
        with session_factory(engine)() as session:
            found = session.scalar(select(User.id).where(User.username == username.lower()))
    finally:
        engine.dispose()
    if found is None:
        typer.echo(f"error: no user {username!r}", err=True)
        raise typer.Exit(1)
    return str(found)


@ratelimit_app.command("reset")
def reset(
    ip: Annotated[str | None, typer.Option(help="a client address")] = None,
    user: Annotated[str | None, typer.Option(help="a username: their per-user limits")] = None,
    account: Annotated[
        str | None, typer.Option(help="a username: the sign-in limits of that account name")
    ] = None,
) -> None:
    """Forget what was counted for one address, user or sign-in account, in every rule."""
    if [ip, user, account].count(None) != 2:
        typer.echo("error: give exactly one of --ip, --user, --account", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    limiter = make_rate_limiter(settings)
    if limiter is None or not limiter.shared:
        typer.echo(
            "error: rate limits are counted in the server's own memory (no Redis configured); "
            "restart the server to clear them",
            err=True,
        )
        raise typer.Exit(1)
    if ip is not None:
        per, identity = "ip", ip_identity(ip)
    elif user is not None:
        per, identity = "user", _user_id(user)
    else:
        assert account is not None
        per, identity = "account", account_identity(account)
    try:
        cleared = asyncio.run(limiter.forget(per, identity))
    except Exception as error:  # the storage's own errors: report, do not trace
        typer.echo(f"error: Redis did not answer ({type(error).__name__})", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"cleared {cleared} {per} counters")
