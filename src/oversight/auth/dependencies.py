"""FastAPI dependencies: the request's session (the transaction boundary) and its principal."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Annotated, NoReturn

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from oversight.audit.events import record_event
from oversight.auth import service as auth_service
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.principal import Principal, TwoFactorCaller
from oversight.auth.scope import bind_principal
from oversight.config import Settings
from oversight.context import note_user
from oversight.db.session import end_unit_of_work
from oversight.edge.limit_enforcement import enforce_user_limit
from oversight.errors import NotAuthenticated, PermissionDenied
from oversight.kit.routing import UNIT_END

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def no_store(response: Response) -> None:
    """For answers that hold credentials (tokens, recovery codes, a TOTP secret, an
    enrolment token): no cache may keep them (RFC 6749, section 5.1)."""
    response.headers.update(NO_STORE)


# The request's dependencies that do no I/O are `async def`: FastAPI runs a plain `def`
# dependency on a worker thread, and the hand-off costs more than such a dependency's work.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Methods that change nothing (RFC 9110, 9.2.1): on SQLite they read in a read-only session.
SAFE_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: committed when the handler succeeds, rolled back otherwise
    (`oversight.db.session.end_transaction`). A safe-method request gets the app's
    `safe_session_factory` (read-only on SQLite: its audit events land after the read, in a
    short write transaction, before the answer). Opening a session does no I/O (it connects
    on its first statement), so it happens on the event loop. The successful ending is handed
    to the endpoint (`UNIT_END`): an `OffloadedRoute` endpoint that takes the session commits
    on its own worker thread, right after its work, instead of a hand-off of its own here; an
    endpoint that raised, or one that does not take the session, ends here, on a worker
    thread in one hand-off."""
    state = request.app.state
    factory = (
        state.safe_session_factory if request.method in SAFE_METHODS else state.session_factory
    )
    session: Session = factory()
    session.info[UNIT_END] = functools.partial(end_unit_of_work, session, succeeded=True)
    try:
        yield session
    except BaseException:
        if session.info.pop(UNIT_END, None) is not None:
            await run_in_threadpool(end_unit_of_work, session, succeeded=False)
        raise
    if session.info.pop(UNIT_END, None) is not None:
        await run_in_threadpool(end_unit_of_work, session, succeeded=True)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a failed commit is never a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


# What a user holding a temporary password may do: change it, and see who they are.
_WITH_TEMPORARY_PASSWORD = frozenset({("POST", "/auth/password"), ("GET", "/users/me")})


def get_current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller, read fresh from the database, bound to the session's scope.
    A caller holding a temporary password may only change it (403 saying so otherwise)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("authentication required: send 'Authorization: Bearer <token>'")
    principal = auth_service.principal_from_token(
        session=session, settings=settings, token=credentials.credentials
    )
    if principal.must_change_password:
        route = request.scope.get("route")
        where = (request.method, str(getattr(route, "path_format", "")))
        if where not in _WITH_TEMPORARY_PASSWORD:
            raise PermissionDenied(
                "your password is a temporary one: change it first "
                "(POST /api/v1/auth/password with current_password and new_password)",
                details={"rule": "password_change_required"},
            )
    bind_principal(session, principal)
    note_user(principal.user_id)
    return principal


async def get_limited_principal(
    request: Request, principal: Annotated[Principal, Depends(get_current_principal)]
) -> Principal:
    """The caller, once counted against the per-user rate limit of the route's rule."""
    await enforce_user_limit(request, principal.user_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_limited_principal)]


def get_two_factor_caller(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TwoFactorCaller:
    """The caller of a 2FA endpoint: with a "2FA pending" token from login, or signed in."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("authentication required: send 'Authorization: Bearer <token>'")
    user, pending = auth_service.two_factor_caller(
        session=session, settings=settings, token=credentials.credentials
    )
    note_user(user.id)
    return TwoFactorCaller(user=user, pending=pending)


async def get_limited_two_factor_caller(
    request: Request, caller: Annotated[TwoFactorCaller, Depends(get_two_factor_caller)]
) -> TwoFactorCaller:
    """The 2FA caller, once counted against the per-user limit of the route's rule."""
    await enforce_user_limit(request, caller.user.id)
    return caller


TwoFactorCallerDep = Annotated[TwoFactorCaller, Depends(get_limited_two_factor_caller)]


def get_streaming_session(request: Request) -> Iterator[Session]:
    """A read-only session that stays open until a streamed response has been sent."""
    session: Session = request.app.state.read_session_factory()
    try:
        yield session
    finally:
        session.close()


StreamingSessionDep = Annotated[Session, Depends(get_streaming_session, scope="request")]


def deny(
    session: Session, principal: Principal, resource: str, action: str, message: str | None = None
) -> NoReturn:
    """Refuse the caller with 403, leaving an `access.denied` audit event (actor and role from
    the principal bound to the session, client IP and request id from the request context)
    that is kept although the request rolls back. Every permission refusal goes through here."""
    record_event(
        session,
        "access.denied",
        entity_type=resource,
        details={"resource": resource, "action": action},
        survive_rollback=True,
    )
    raise PermissionDenied(message or f"role {principal.role.value!r} may not {action} {resource}")


_REQUIREMENTS: dict[Callable[..., object], tuple[Resource, Action]] = {}


def require(
    resource: Resource, action: Action
) -> Callable[..., Coroutine[object, object, Principal]]:
    """A dependency that admits the caller only if the permission table allows `action`.
    The table lookup runs on the event loop; only a refusal (which records an audit event)
    goes to a worker thread."""

    async def check(session: SessionDep, principal: CurrentPrincipal) -> Principal:
        if not is_allowed(principal.role, resource, action):
            await run_in_threadpool(deny, session, principal, resource.value, action.value)
        return principal

    check.__name__ = f"require_{resource.value}_{action.value}"
    _REQUIREMENTS[check] = (resource, action)
    return check


def required_permission(dependency: Callable[..., object]) -> tuple[Resource, Action] | None:
    """The (resource, action) a dependency made by `require` checks; None for any other."""
    return _REQUIREMENTS.get(dependency)
