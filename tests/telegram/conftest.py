"""Fixtures of the bot tests: a local Bot API server and the real bot polling it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot_harness import RunningBot, bot_settings, test_scope
from fake_telegram import FakeBotApi, fake_bot_api
from oversight.config import Settings
from oversight.telegram.bot import build_application, make_deps


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    token = f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(24)}"
    with fake_bot_api(token) as api:
        yield api


@pytest.fixture
def start_bot(
    settings: Settings, session: Session, bot_api: FakeBotApi
) -> Iterator[Callable[..., RunningBot]]:
    """`start_bot(**telegram_settings, commands=..., buttons=...)` -> a running bot."""
    running: list[RunningBot] = []

    def start(
        *,
        buttons: Any = None,
        commands: Any = None,
        _settings: Settings | None = None,
        **telegram: Any,
    ) -> RunningBot:
        configured = bot_settings(_settings or settings, bot_api, **telegram)
        extra = {} if commands is None else {"commands": commands}
        deps = make_deps(configured, test_scope(session), **extra)
        bot = RunningBot(build_application(deps, buttons=buttons), bot_api)
        running.append(bot.__enter__())
        return bot

    yield start
    for bot in running:
        bot.__exit__(None, None, None)


@pytest.fixture
def bot(start_bot: Callable[..., RunningBot]) -> RunningBot:
    return start_bot()
