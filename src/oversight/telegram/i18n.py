"""The bot's languages: gettext catalogues (`locale/<lang>/LC_MESSAGES/oversight.po`, compiled
by Babel when first used) and Babel's formats for numbers, money and dates.

English is the source language: its message ids are the English text, so it needs no
catalogue. `Wording` implements `oversight.analytics.text.Wording`.
"""

from __future__ import annotations

import functools
import gettext
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "oversight"
LANGUAGES = ("en", "ru")
MONEY_PATTERNS = {"en": "#,##0.00\u00a0¤¤"}


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language` (English: none, the ids are the text)."""
    if language == "en":
        return gettext.NullTranslations()
    source = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as po:
        messages = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True, slots=True)
class Wording:
    """One language's phrases and formats."""

    language: str

    def gettext(self, message: str) -> str:
        return catalogue(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return catalogue(self.language).ngettext(singular, plural, n)

    def money(self, amount: Decimal, currency: str) -> str:
        # English's own pattern puts the code before the figure glued to it ("RUB63,400.00");
        # the API's order reads better: "63,400.00 RUB". Russian keeps its own: "63 400,00 ₽".
        pattern = MONEY_PATTERNS.get(self.language)
        return format_currency(amount, currency, format=pattern, locale=self.language)

    def number(self, value: Decimal) -> str:
        rounded = value.quantize(Decimal("0.1"), ROUND_HALF_UP)
        return format_decimal(rounded, format="#,##0.0", locale=self.language)

    def percent(self, value: Decimal | None) -> str:
        if value is None:
            return "—"
        whole = value.quantize(Decimal(1), ROUND_HALF_UP)
        return format_decimal(whole, format="#,##0", locale=self.language) + "%"

    def day_range(self, start: date, end: date) -> str:
        # Numeric dates read the same way in both languages' conventions: 01.03-31.03.2026
        # (with an en dash between the days).
        return f"{start:%d.%m}\u2013{end:%d.%m.%Y}"


@functools.cache
def wording(language: str) -> Wording:
    """The wording of `language`; ValueError for a language without a catalogue."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    return Wording(language)
