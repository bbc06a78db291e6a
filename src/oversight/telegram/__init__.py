"""The Telegram bot: account linking, commands for KPIs and charts, in the user's language.

Entry points: `oversight bot` (long polling, `telegram.bot.run_polling`) and the webhook route
(`telegram.routes`). Handlers live in `handlers/`, one module per feature; they call services
and never hold SQL.
"""
