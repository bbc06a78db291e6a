"""The bot's housekeeping: link codes past their expiry are deleted nightly."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.jobs.registry import JobRegistry
from oversight.telegram import linking


def register(jobs: JobRegistry, settings: Settings) -> None:
    jobs.add(
        "telegram_purge_link_codes",
        purge_link_codes,
        cron="20 3 * * *",
        description="delete Telegram link codes past their expiry",
    )


def purge_link_codes(session: Session) -> None:
    linking.forget_expired_codes(session=session)
