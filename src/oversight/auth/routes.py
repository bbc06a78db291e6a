from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from oversight.auth import enrolment as enrolment_service
from oversight.auth import repository as account_repository
from oversight.auth import service as auth_service
from oversight.auth import sessions as session_service
from oversight.auth import two_factor as two_factor_service
from oversight.auth.dependencies import (
    NO_STORE,
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    TwoFactorCallerDep,
    no_store,
)
from oversight.auth.schemas import (
    CodeBody,
    EnrolmentStart,
    EnrolmentStarted,
    LoginRequest,
    PasswordChange,
    PasswordChanged,
    RecoveryCodes,
    RefreshRequest,
    SecondFactorAccepted,
    TokenResponse,
    TwoFactorChallenge,
    VerifyRequest,
)
from oversight.auth.sessions import IssuedSession
from oversight.kit.routing import OffloadedRoute
from oversight.security import totp

router = APIRouter(
    prefix="/auth", tags=["auth"], dependencies=[Depends(no_store)], route_class=OffloadedRoute
)

QR_PATH = "/api/v1/auth/2fa/enrolment/qr.png"


def _tokens(issued: IssuedSession) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=int(issued.access_lifetime.total_seconds()),
        refresh_token=issued.refresh_token,
        refresh_expires_in=int(issued.refresh_lifetime.total_seconds()),
    )


@router.post("/login")
def login(
    session: SessionDep, settings: SettingsDep, body: LoginRequest
) -> TokenResponse | TwoFactorChallenge:
    """Exchange a username and password for a session — or, for users with two-factor
    authentication, for a short-lived pending token that only the 2FA endpoints accept.

    Repeated failures are throttled per account and per client IP: 429 with Retry-After.
    """
    outcome = auth_service.login(
        session=session, settings=settings, username=body.username, password=body.password
    )
    if isinstance(outcome, IssuedSession):
        return _tokens(outcome)
    return TwoFactorChallenge(
        two_factor=outcome.next_step.value,
        pending_token=outcome.token,
        expires_in=int(outcome.lifetime.total_seconds()),
    )


@router.post("/refresh")
def refresh(session: SessionDep, settings: SettingsDep, body: RefreshRequest) -> TokenResponse:
    """Exchange a refresh token for a new access token and a new refresh token. Each refresh
    token works once; presenting a used one ends its whole session."""
    return _tokens(
        session_service.refresh(
            session=session, settings=settings, refresh_token=body.refresh_token
        )
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, body: RefreshRequest) -> None:
    """End the session of this refresh token: it and the session's access tokens stop
    working. Answers 204 whether or not the token was known."""
    session_service.logout(session=session, refresh_token=body.refresh_token)


@router.post("/password")
def change_password(
    session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal, body: PasswordChange
) -> PasswordChanged:
    """Change the caller's password (the current one is required); ends their other sessions."""
    ended = auth_service.change_password(
        session=session,
        settings=settings,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return PasswordChanged(other_sessions_ended=ended)


@router.post("/2fa/enrolment", status_code=status.HTTP_201_CREATED)
def start_enrolment(
    session: SessionDep,
    settings: SettingsDep,
    caller: TwoFactorCallerDep,
    body: EnrolmentStart | None = None,
) -> EnrolmentStarted:
    """Begin TOTP enrolment: a new secret as an `otpauth://` URI and a QR code. It is not in
    force until a code from it is confirmed. A caller who has not passed a second factor
    needs an administrator's `enrolment_token` unless the account is new."""
    if caller.pending:
        enrolment_service.admit(
            session=session, settings=settings, user=caller.user,
            token=body.enrolment_token if body is not None else None,
        )  # fmt: skip
    enrolment = two_factor_service.start_enrolment(
        session=session, settings=settings, user=caller.user
    )
    return EnrolmentStarted(
        otpauth_uri=enrolment.otpauth_uri,
        secret=enrolment.secret,
        qr_png_base64=totp.qr_png_base64(enrolment.otpauth_uri),
        qr_png_url=QR_PATH,
    )


@router.get(
    "/2fa/enrolment/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the QR code"}},
)
def enrolment_qr(
    session: SessionDep, settings: SettingsDep, caller: TwoFactorCallerDep
) -> Response:
    """The QR code of the enrolment in progress, as a PNG."""
    enrolment = two_factor_service.pending_enrolment(
        session=session, settings=settings, user=caller.user
    )
    return Response(
        totp.qr_png(enrolment.otpauth_uri),
        media_type="image/png",
        headers=NO_STORE,  # a Response returned as is does not get the router's headers
    )


@router.post("/2fa/enrolment/confirm")
def confirm_enrolment(
    session: SessionDep, settings: SettingsDep, caller: TwoFactorCallerDep, body: CodeBody
) -> SecondFactorAccepted:
    """Finish enrolment with a code from the authenticator app. Answers the same object as
    POST /auth/2fa/verify: `recovery_codes` (ten, shown only now) and — when enrolment was
    the second step of a login (pending token) — `session`. A wrong code is 401
    `invalid_totp`: ask for the next code and send it with the same token."""
    codes = two_factor_service.confirm_enrolment(
        session=session, settings=settings, user=caller.user, code=body.code
    )
    issued = None
    if caller.pending:
        issued = _tokens(
            auth_service.finish_login(
                session=session, settings=settings, user=caller.user, second_factor="totp"
            )
        )
    return SecondFactorAccepted(session=issued, recovery_codes=codes)


@router.post("/2fa/verify")
def verify_two_factor(
    session: SessionDep, settings: SettingsDep, caller: TwoFactorCallerDep, body: VerifyRequest
) -> SecondFactorAccepted:
    """The second step of a login: a code from the authenticator app (or a recovery code)
    with the pending token; answers `session` (the same object as enrolment confirm).
    A code is accepted once; later codes must be of a later 30-second step. A wrong code is
    401 `invalid_totp` (`invalid_recovery_code` for a recovery code); the pending token stays
    valid until it expires."""
    if not caller.pending:
        auth_service.deny_user(
            session,
            caller.user,
            "already signed in: verify is the second step of a login",
            reason="2FA verify with a signed-in token",
        )
    two_factor_service.require_code_or_recovery(body.code, body.recovery_code)
    if body.code is not None:
        two_factor_service.verify_code(
            session=session, settings=settings, user=caller.user, code=body.code
        )
        second_factor = "totp"
    else:
        assert body.recovery_code is not None
        two_factor_service.use_recovery_code(
            session=session, settings=settings, user=caller.user, code=body.recovery_code
        )
        second_factor = "recovery"
    issued = auth_service.finish_login(
        session=session, settings=settings, user=caller.user, second_factor=second_factor
    )
    return SecondFactorAccepted(session=_tokens(issued))


@router.post("/2fa/recovery-codes")
def regenerate_recovery_codes(session: SessionDep, principal: CurrentPrincipal) -> RecoveryCodes:
    """A new set of ten recovery codes, shown only now; the previous set stops working."""
    user = account_repository.get_user_or_raise(session, principal.user_id)
    return RecoveryCodes(
        recovery_codes=two_factor_service.regenerate_recovery_codes(session=session, user=user)
    )
