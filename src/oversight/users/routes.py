from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from oversight.auth import enrolment as enrolment_service
from oversight.auth import repository as account_repository
from oversight.auth import two_factor as two_factor_service
from oversight.auth.dependencies import (
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    no_store,
    require,
)
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.auth.schemas import EnrolmentTokenIssued
from oversight.auth.scope import open_loads
from oversight.kit.ids import RecordId
from oversight.kit.page_query import PageQuery
from oversight.kit.pagination import Page, page_of
from oversight.kit.routing import OffloadedRoute
from oversight.users import repository
from oversight.users import service as user_service
from oversight.users.schemas import (
    EngineerEntry,
    ProfileUpdate,
    TemporaryPassword,
    TemporaryPasswordSet,
    UserCreate,
    UserRead,
    UserUpdate,
)
from oversight.vocabulary import Role

router = APIRouter(prefix="/users", tags=["users"], route_class=OffloadedRoute)
engineers_router = APIRouter(prefix="/engineers", tags=["dispatch"], route_class=OffloadedRoute)

UserReader = Annotated[Principal, Depends(require(Resource.users, Action.read))]
UserCreator = Annotated[Principal, Depends(require(Resource.users, Action.create))]
UserEditor = Annotated[Principal, Depends(require(Resource.users, Action.update))]
EngineerReader = Annotated[Principal, Depends(require(Resource.engineers, Action.read))]


@router.get("/me", summary="Your own account")
def read_me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    """The signed-in caller's own account: name, role, contact details, whether two-factor
    authentication is on. Works with a temporary password too, so a client can tell the user to
    change it."""
    return UserRead.model_validate(account_repository.get_user_or_raise(session, principal.user_id))


@router.patch("/me", summary="Update your own profile")
def update_me(session: SessionDep, principal: CurrentPrincipal, body: ProfileUpdate) -> UserRead:
    """Change your own name and contact details (role, status and username are not yours to
    change: 422). Any signed-in role may; the change is audited."""
    user = account_repository.get_user_or_raise(session, principal.user_id)
    return UserRead.model_validate(
        user_service.update_profile(session=session, user=user, data=body)
    )


@router.get("")
def list_users(
    session: SessionDep,
    _: UserReader,
    params: PageQuery,
    role: Annotated[Role | None, Query()] = None,
    is_active: Annotated[bool | None, Query()] = None,
    email: Annotated[str | None, Query(max_length=320, description="exact e-mail")] = None,
) -> Page[UserRead]:
    """Users a page at a time (admin, director), filtered by `role`, `is_active` or exact `email`.
    For dispatch, project managers use GET /engineers instead, which shows no personal data."""
    rows, total = repository.list_users(
        session, params, role=role, is_active=is_active, email=email
    )
    return page_of(UserRead, rows, total, params)


@router.get("/{user_id}")
def read_user(session: SessionDep, _: UserReader, user_id: RecordId) -> UserRead:
    """One user by id (admin, director): role, status, contact details. 404 when there is no such
    user."""
    return UserRead.model_validate(account_repository.get_user_or_raise(session, user_id))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(
    session: SessionDep, settings: SettingsDep, _: UserCreator, body: UserCreate
) -> UserRead:
    """Create a user (admin only). The password must pass the password policy (422 naming the
    rule); a client needs `customer_id`. The user signs in with POST /auth/login."""
    return UserRead.model_validate(
        user_service.create_user(session=session, settings=settings, data=body)
    )


@router.patch("/{user_id}")
def update_user(
    session: SessionDep, _: UserEditor, user_id: RecordId, body: UserUpdate
) -> UserRead:
    """Change a user's role, status or details (admin only). The last active administrator cannot
    be demoted or disabled (409 `last_admin`); disabling a user ends their sessions."""
    user = account_repository.get_user_or_raise(session, user_id)
    return UserRead.model_validate(user_service.update_user(session=session, user=user, data=body))


@router.post("/{user_id}/password")
def set_temporary_password(
    session: SessionDep,
    settings: SettingsDep,
    _: UserEditor,
    user_id: RecordId,
    body: TemporaryPassword,
) -> TemporaryPasswordSet:
    """Set a temporary password (a forgotten one): the user must change it at their next
    login, and until then may do nothing else; every session of theirs ends. Audited as
    `user.password_reset`."""
    user = account_repository.get_user_or_raise(session, user_id)
    ended = user_service.set_temporary_password(
        session=session, settings=settings, user=user, password=body.temporary_password
    )
    return TemporaryPasswordSet(sessions_ended=ended)


@router.delete("/{user_id}/two-factor", status_code=status.HTTP_204_NO_CONTENT)
def reset_two_factor(session: SessionDep, _: UserEditor, user_id: RecordId) -> None:
    """Remove the user's second factor and recovery codes and end their sessions (a lost
    phone); they enrol again at their next login."""
    user = account_repository.get_user_or_raise(session, user_id)
    two_factor_service.reset(session=session, user=user)


@router.post(
    "/{user_id}/two-factor/enrolment-token",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(no_store)],
)
def issue_enrolment_token(
    session: SessionDep, settings: SettingsDep, principal: UserEditor, user_id: RecordId
) -> EnrolmentTokenIssued:
    """A single-use, expiring token with which the user may enrol a second factor (an account
    that never enrolled, or was reset, and is no longer new needs one). Shown once."""
    user = account_repository.get_user_or_raise(session, user_id)
    issued = enrolment_service.issue(
        session=session, settings=settings, user=user, issued_by=principal.user_id
    )
    return EnrolmentTokenIssued(enrolment_token=issued.token, expires_at=issued.expires_at)


@engineers_router.get("")
def list_engineers(
    session: SessionDep, _: EngineerReader, params: PageQuery
) -> Page[EngineerEntry]:
    """The dispatch directory: active engineers with their open load (requests assigned and
    not yet closed or cancelled, on every project), to choose whom to assign; by id."""
    rows, total = repository.list_active_engineers(session, params)
    loads = open_loads(session, [row.id for row in rows])
    return Page[EngineerEntry](
        items=[
            EngineerEntry(id=row.id, name=row.full_name, open_requests=loads.get(row.id, 0))
            for row in rows
        ],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )
