# ruff: noqa: RUF001 - Russian text is what these tests check
"""Answers in the user's language: English and Russian catalogues, Babel's numbers and money;
the default from the settings; every message id translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot_company import build_company
from bot_harness import link
from builders import make_user
from engines import EMBEDDED_ONLY
from oversight.auth.models import User
from oversight.telegram import i18n, linking
from oversight.telegram.models import TelegramLink
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

SRC = Path(i18n.__file__).parents[1]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "t": None}


def test_lang_switches_the_users_answers(bot, session, settings):
    build_company(session)
    user = make_user(session, Role.accountant)
    account = link(session, settings, user)
    assert bot.ask(account, "/lang ru").text == "Буду отвечать по-русски."
    assert session.get(TelegramLink, user.id).language == "ru"
    assert bot.ask(account, "/overdue").text == (
        "2 просроченных счёта, 19\xa0400,50\xa0₽\n• ACME: 1, 12\xa0400,50\xa0₽\n"
        "• Globex: 1, 7\xa0000,00\xa0₽"
    )
    assert (
        bot.ask(account, "/project_stats P-ACME").text
        == "Вашей роли недоступна команда /project_stats."
    )
    assert bot.ask(account, "/analytics 2026-13").text == (
        "Это не месяц: 2026-13. Пишите его как ГГГГ-ММ, например 2026-03.\n"
        "Использование: /analytics [ГГГГ-ММ | ГГГГ-ММ-ДД ГГГГ-ММ-ДД]"
    )
    assert bot.ask(account, "/lang EN").text == "I will answer in English."
    assert bot.ask(account, "/overdue").text.startswith("2 overdue invoices, 19,400.50\xa0RUB")


def test_russian_summary_and_project(bot, session, settings):
    company = build_company(session)
    account = link(session, settings, make_user(session, Role.director))
    bot.ask(account, "/lang ru")
    summary = bot.ask(account, "/analytics 2026-01").text.splitlines()
    assert summary[0].startswith("Открытых заявок: 1 (средний возраст ")
    assert summary[1:] == [
        "Просрочено: 1 · Срок в ближайшие 24 ч: 0",
        "Первый ответ: нет за период",
        "Время до закрытия: закрытых нет",
        "В срок (01.01\u201331.01.2026): —",
        "Закрыто в день: 0,0",
        "Принято при сдаче: — (0 из 0)",
        "Доработок на закрытую заявку: —",
        "Ivan Petrov: 0,0 ч в отчётах, загрузка 0%",
        "Выручка: 19\xa0400,50\xa0₽ · Оплачено: 0,00\xa0₽",
        "Маржа: 19\xa0400,50\xa0₽ (100%), 2 проекта, убыточных: 0",
        "Просроченные счета: 2 клиента (ACME, Globex), 19\xa0400,50\xa0₽",
    ]
    project = bot.ask(account, f"/project_stats {company.acme_project_id}").text.splitlines()
    assert project[0].startswith("P-ACME ")
    assert project[0].endswith("(ACME)")
    assert project[1].endswith(" · Просрочено: 1 · Срок в ближайшие 24 ч: 0")
    assert project[2] == "Закрыто: 0 · В срок: —"


def test_the_default_language_is_a_setting(start_bot, session, settings):
    bot = start_bot(default_language="ru")
    account = link(session, settings, make_user(session, Role.viewer))
    assert bot.ask(account, "/start").text.startswith("Здравствуйте, ")
    stranger = 999_000_111
    assert bot.ask(stranger, "/start").text.startswith("Добро пожаловать в Oversight.")


def test_the_language_is_per_user(bot, session, settings):
    first = link(session, settings, make_user(session, Role.viewer))
    second = link(session, settings, make_user(session, Role.viewer))
    bot.ask(first, "/lang ru")
    assert bot.ask(first, "/help").text.startswith("Команды:")
    assert bot.ask(second, "/help").text.startswith("Commands:")


def test_russian_plurals():
    russian = i18n.wording("ru")
    forms = [russian.ngettext("{count} client", "{count} clients", n).format(count=n)
             for n in (1, 2, 5, 11, 21, 22)]  # fmt: skip
    assert forms == [
        "1 клиент",
        "2 клиента",
        "5 клиентов",
        "11 клиентов",
        "21 клиент",
        "22 клиента",
    ]


def test_every_message_id_has_a_russian_translation():
    found: set[str | tuple[str, ...]] = set()
    for folder in (SRC / "telegram", SRC / "analytics"):
        for _, _, message, _, _ in extract_from_dir(folder, keywords=KEYWORDS):
            found.add(message)
    assert "Your account is disabled." in found
    po = i18n.LOCALE_DIR / "ru" / "LC_MESSAGES" / "oversight.po"
    with po.open("rb") as source:
        catalogue = read_po(source, locale="ru")
    for message in found:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(key)
        assert entry is not None, f"not in the Russian catalogue: {key!r}"
        assert not entry.fuzzy, f"a fuzzy translation: {key!r}"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), f"untranslated: {key!r}"


def test_set_language_needs_a_link(session):
    user = make_user(session, Role.viewer)
    with pytest.raises(linking.LinkRefused) as refused:
        linking.set_language(session=session, user_id=user.id, language="ru")
    assert refused.value.reason == "invalid"
    assert session.get(User, user.id) is not None


def test_a_chart_in_russian(bot, session, settings, tmp_path):
    build_company(session)
    account = link(session, settings, make_user(session, Role.director))
    bot.ask(account, "/lang ru")
    russian = bot.ask(account, "/chart utilization 2026-03")
    bot.ask(account, "/lang en")
    assert russian.params["caption"] == "График: utilization"
    png = russian.files["photo"]
    assert png.startswith(b"\x89PNG")
    assert png != bot.ask(account, "/chart utilization 2026-03").files["photo"]
    (tmp_path / "chart-ru.png").write_bytes(png)
