"""The bot's commands, one module per feature; each exports `COMMANDS` (and, where it has
inline buttons, `BUTTONS`). `oversight.telegram.bot.HANDLER_MODULES` lists the modules."""
