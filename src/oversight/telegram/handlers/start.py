"""/start and /help: a greeting, and the commands this caller may run (and nothing else)."""

from __future__ import annotations

from oversight.telegram.runtime import Call, Command, Reply, _


def start(call: Call) -> Reply:
    if call.caller is None:
        return Reply(
            call.t(
                "Welcome to Oversight. This Telegram account is not linked yet: ask your "
                "administrator for a link code and send /link CODE."
            )
        )
    text = call.t("Hello, {username}. /help lists what you can do here.")
    return Reply(text.format(username=call.caller.username))


def show_help(call: Call) -> Reply:
    lines = [call.t("Commands:")]
    for command in call.commands:
        if command.allowed(call.caller):
            lines.append(f"{call.t(command.usage)} — {call.t(command.description)}")
    return Reply("\n".join(lines))


COMMANDS = (
    Command("start", _("/start"), _("greeting"), start, linked=False),
    Command("help", _("/help"), _("this list"), show_help, linked=False),
)
