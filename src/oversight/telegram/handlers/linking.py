"""/link CODE and /unlink: binding this Telegram account to an Oversight user."""

from __future__ import annotations

from oversight.telegram import linking
from oversight.telegram.runtime import Call, Command, Refusal, Reply, _

_REFUSALS = {
    "invalid": _("This code is unknown, used or expired: ask your administrator for a new one."),
    "taken": _("This Telegram account is linked to another user: send /unlink first."),
    "disabled": _("Your account is disabled."),
}


def link(call: Call) -> Reply:
    if len(call.args) != 1:
        raise Refusal(call.t("Send the code your administrator gave you."), usage=True)
    try:
        user = linking.link_account(
            session=call.session,
            code=call.args[0],
            telegram_user_id=call.telegram_user_id,
            chat_id=call.chat_id,
        )
    except linking.LinkRefused as refused:
        raise Refusal(call.t(_REFUSALS[refused.reason]), outcome="link_refused") from None
    text = call.t("Linked: you are {username} here. /help lists what you can do.")
    return Reply(text.format(username=user.username))


def unlink(call: Call) -> Reply:
    linking.unlink_account(session=call.session, telegram_user_id=call.telegram_user_id)
    return Reply(call.t("Unlinked: this Telegram account no longer reaches Oversight."))


COMMANDS = (
    Command("link", _("/link CODE"), _("link this account to your user"), link, linked=False),
    Command("unlink", _("/unlink"), _("unlink this account"), unlink),
)
