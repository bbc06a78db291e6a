"""The bot's API: link codes for administrators, and the webhook Telegram posts updates to."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.auth.repository import get_user_or_raise
from oversight.errors import InvalidInput, NotFound, PermissionDenied
from oversight.kit.ids import RecordId
from oversight.kit.routing import OffloadedRoute
from oversight.telegram import linking
from oversight.telegram.schemas import LinkCodeRead
from oversight.telegram.webhook import SECRET_HEADER, webhook_bot

logger = logging.getLogger("oversight.telegram")
router = APIRouter(tags=["telegram"], route_class=OffloadedRoute)

UserAdmin = Annotated[Principal, Depends(require(Resource.users, Action.update))]


@router.post(
    "/users/{user_id}/telegram-link-code",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkCodeRead,
)
def create_link_code(
    user_id: RecordId, session: SessionDep, settings: SettingsDep, response: Response, _: UserAdmin
) -> LinkCodeRead:
    """A one-time code that links a Telegram account to this user (`/link CODE` in the bot);
    it replaces the user's earlier code and expires after
    OVERSIGHT_TELEGRAM__LINK_CODE_MINUTES. Audited as `telegram.link_code_created`."""
    user = get_user_or_raise(session, user_id)
    issued = linking.create_link_code(session=session, settings=settings, user=user)
    response.headers["Cache-Control"] = "no-store"
    return LinkCodeRead(code=issued.code, expires_at=issued.expires_at)


@router.post("/telegram/webhook", include_in_schema=False)
async def receive_update(request: Request) -> Response:
    """One update from Telegram (webhook mode). The secret-token header is the credential,
    compared in constant time; without webhook mode the route does not exist (404)."""
    settings = request.app.state.settings
    secret = settings.telegram.webhook_secret
    bot = webhook_bot(request.app)
    if bot is None or secret is None:
        raise NotFound("the Telegram webhook is not enabled")
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not hmac.compare_digest(given, secret.get_secret_value().encode()):
        logger.warning("telegram webhook: wrong secret token")
        raise PermissionDenied("wrong Telegram secret token")
    try:
        payload = await request.json()
    except ValueError:
        raise InvalidInput("the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        raise InvalidInput("not a Telegram update: no update_id")
    await bot.receive(payload)
    return Response(status_code=status.HTTP_200_OK)
