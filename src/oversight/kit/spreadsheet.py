"""The one way Oversight writes CSV: cells a spreadsheet would evaluate are neutralised.

A cell that starts with `=`, `+`, `-`, `@`, a TAB or a CR is read by Excel, LibreOffice and
Google Sheets as a formula (`=cmd|' /C calc'!A0`, `=HYPERLINK(...)`), so text that anyone can
plant — a username tried at login, a User-Agent, a customer's name — would run when an
administrator opens an export. Following OWASP's CSV injection guidance
(https://owasp.org/www-community/attacks/CSV_Injection), such a cell is prefixed with a single
quote, which spreadsheets show as text, and every cell is quoted. The full-width forms of the
four signs are treated alike (some spreadsheet locales fold them). Numbers stay numbers: a
negative amount is not text anyone planted.

Only text cells change, and only by that one leading quote; JSON exports keep exact values.
`csv.writer` is banned elsewhere by ruff (TID251) so every CSV goes through here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # noqa: RUF001
_KEPT = (bool, int, float, Decimal, datetime, date)


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def neutralise(value: object) -> object:
    """`value` as a CSV cell no spreadsheet evaluates: text (and anything rendered as text)
    that starts like a formula gets a leading `'`; numbers, times and None are kept."""
    if value is None or isinstance(value, _KEPT):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class CsvWriter:
    """Rows of neutralised, quoted cells onto a text stream (a file, a StringIO)."""

    def __init__(self, stream: _Writable) -> None:
        self._writer = csv.writer(stream, quoting=csv.QUOTE_ALL)  # noqa: TID251 - the one place

    def writerow(self, values: Iterable[object]) -> None:
        self._writer.writerow([neutralise(value) for value in values])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
