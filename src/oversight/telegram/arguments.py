"""Reading command arguments: periods (`YYYY-MM`, or two `YYYY-MM-DD` days)."""

from __future__ import annotations

import re
from datetime import date

from oversight.analytics import service as analytics_service
from oversight.analytics.params import KpiParams
from oversight.telegram.runtime import Call, Refusal, _

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _month_start(text: str) -> date | None:
    found = _MONTH.fullmatch(text)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), 1)
    except ValueError:
        return None


def _day(call: Call, text: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else _no_date(call, text)
    except ValueError:
        return _no_date(call, text)


def _no_date(call: Call, text: str) -> date:
    message = call.t("Not a date: {text}. Write days as YYYY-MM-DD, e.g. 2026-03-31.")
    raise Refusal(message.format(text=text[:40]), usage=True)


def period_params(call: Call, args: tuple[str, ...]) -> KpiParams:
    """The KPI parameters for no argument (month to date), a month or two days; Refusal with
    the usage line for anything else."""
    start: date | None = None
    end: date | None = None
    if len(args) == 1:
        start = _month_start(args[0])
        if start is None:
            message = call.t("Not a month: {text}. Write it as YYYY-MM, e.g. 2026-03.")
            raise Refusal(message.format(text=args[0][:40]), usage=True)
    elif len(args) == 2:
        start, end = _day(call, args[0]), _day(call, args[1])
    elif len(args) > 2:
        raise Refusal(call.t("Too many arguments."), usage=True)
    try:
        return analytics_service.make_params(call.settings, start=start, end=end)
    except ValueError:
        raise Refusal(
            call.t("Not a period: it must not end before it starts or last over three years."),
            usage=True,
        ) from None


__all__ = ["_", "period_params"]
