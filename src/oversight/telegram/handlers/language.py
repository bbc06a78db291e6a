"""/lang en|ru: the language the bot answers this user in."""

from __future__ import annotations

from oversight.telegram import linking
from oversight.telegram.i18n import LANGUAGES, wording
from oversight.telegram.runtime import Call, Command, Refusal, Reply, _


def set_language(call: Call) -> Reply:
    choice = call.args[0].lower() if len(call.args) == 1 else ""
    if choice not in LANGUAGES:
        raise Refusal(call.t("Choose one of: {languages}.").format(languages=", ".join(LANGUAGES)),
                      usage=True)  # fmt: skip
    linking.set_language(session=call.session, user_id=call.principal.user_id, language=choice)
    return Reply(wording(choice).gettext("I will answer in English."))


COMMANDS = (Command("lang", _("/lang en|ru"), _("language of the answers"), set_language),)
