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
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from starlette.responses import StreamingResponse

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


def cell(value: object) -> object:
    """A value as an export shows it: times in ISO 8601 (UTC as stored), enums by value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, str):
        return enum_value
    return value


def csv_chunks(
    header: Sequence[str], rows: Iterable[Iterable[object]], *, rows_per_chunk: int = 500
) -> Iterator[str]:
    """A CSV document as text chunks to stream: the header, then `rows_per_chunk` rows at a
    time, so memory does not grow with the number of rows. Cells pass through `cell` and
    `neutralise` (CsvWriter)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(cell(value) for value in row)
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue()


def query_described(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """A request's query parameters as an audit event's details: name -> the values sent."""
    described: dict[str, list[str]] = {}
    for name, value in items:
        described.setdefault(name, []).append(value[:200])
    return described


def csv_response(chunks: Iterator[str], filename: str) -> StreamingResponse:
    """A streamed CSV download named `filename`."""
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
