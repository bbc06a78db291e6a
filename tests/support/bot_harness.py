"""Driving the real bot in tests: its `Application` polling the fake Bot API from a thread
with its own event loop, every update run in the test's transaction; linking helpers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy.orm import Session

from fake_telegram import FakeBotApi, Sent
from oversight.auth.models import User
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.config import Settings
from oversight.db.session import transaction_scope
from oversight.telegram import linking


def test_scope(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    """Units of work inside the test's transaction (as `wire_to_test_session` does for the
    app): each starts like a fresh session and leaves no principal behind."""

    @contextmanager
    def scope() -> Iterator[Session]:
        session.commit()
        session.info.pop(PRINCIPAL_KEY, None)
        session.expunge_all()
        try:
            with transaction_scope(session):
                yield session
        finally:
            session.info.pop(PRINCIPAL_KEY, None)

    return scope


test_scope.__test__ = False  # type: ignore[attr-defined]


class RunningBot:
    """The bot's `Application` polling the fake Bot API from a thread with its own loop."""

    def __init__(self, application: Any, api: FakeBotApi) -> None:
        self.application = application
        self.api = api
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RunningBot:
        self.thread.start()
        self._run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _start(self) -> None:
        await self.application.initialize()
        await self.application.updater.start_polling(poll_interval=0.0, timeout=1)
        await self.application.start()

    async def _stop(self) -> None:
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()
        await self.loop.shutdown_default_executor()

    def ask(self, telegram_user_id: int, text: str) -> Sent:
        """Send `text` as `telegram_user_id`; the bot's one answer."""
        before = len(self.api.answers())
        self.api.message(telegram_user_id, text)
        return self.api.wait_answers(before + 1)[before]

    def press(self, telegram_user_id: int, data: str, **kwargs: Any) -> Sent:
        before = len(self.api.answers())
        self.api.press(telegram_user_id, data, **kwargs)
        return self.api.wait_answers(before + 1)[before]


_telegram_ids = iter(range(910_000_001, 920_000_000))


def link(session: Session, settings: Settings, user: User) -> int:
    """Link a fresh Telegram account to `user` through the service; its Telegram user id."""
    telegram_user_id = next(_telegram_ids)
    issued = linking.create_link_code(session=session, settings=settings, user=user)
    linking.link_account(
        session=session, code=issued.code, telegram_user_id=telegram_user_id,
        chat_id=telegram_user_id,
    )  # fmt: skip
    session.flush()
    return telegram_user_id


def new_telegram_id() -> int:
    return next(_telegram_ids)


def bot_settings(settings: Settings, api: FakeBotApi, **telegram: Any) -> Settings:
    group = settings.telegram.model_validate(
        {"bot_token": api.token, "api_base_url": api.url, **telegram}
    )
    return settings.model_copy(update={"telegram": group})
