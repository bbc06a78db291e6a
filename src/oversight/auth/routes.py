from __future__ import annotations

from fastapi import APIRouter

from oversight.auth import service as auth_service
from oversight.auth.dependencies import SessionDep, SettingsDep
from oversight.auth.schemas import LoginRequest, TokenResponse

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login")
def login(session: SessionDep, settings: SettingsDep, body: LoginRequest) -> TokenResponse:
    """Exchange a username and password for a short-lived bearer token."""
    user = auth_service.authenticate(
        session=session, username=body.username, password=body.password
    )
    token, lifetime = auth_service.issue_access_token(settings=settings, user=user)
    return TokenResponse(access_token=token, expires_in=int(lifetime.total_seconds()))
