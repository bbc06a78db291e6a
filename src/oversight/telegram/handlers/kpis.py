"""KPIs as text: /analytics, /project_stats, /open, /overdue, /engineers.

Each reads through the analytics service with the caller's principal bound to the session,
so the role's sections and the row scope are the API's; each shown KPI is an
`analytics.viewed` event (channel telegram).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from oversight.analytics import schemas as s
from oversight.analytics import service as analytics_service
from oversight.analytics import text
from oversight.analytics.views import record_kpi_view
from oversight.auth.permissions import Resource
from oversight.errors import NotFound
from oversight.projects import service as project_service
from oversight.telegram.arguments import period_params
from oversight.telegram.runtime import Call, Command, Refusal, Reply, _

DESK = frozenset({Resource.analytics_desk})
FINANCE = frozenset({Resource.analytics_finance})
PEOPLE = frozenset({Resource.analytics_people})
ANY_ANALYTICS = DESK | FINANCE | PEOPLE
K = TypeVar("K", bound=BaseModel)


def _kpi(call: Call, name: str, schema: type[K], args: tuple[str, ...] = ()) -> K:
    params = period_params(call, args)
    value = analytics_service.get_kpi(
        call.session, name, params, settings=call.settings, cache=call.cache
    )
    if not isinstance(value, schema):
        raise TypeError(f"KPI {name} answered {type(value).__name__}, not {schema.__name__}")
    record_kpi_view(call.session, name)
    return value


def show_summary(call: Call) -> Reply:
    params = period_params(call, call.args)
    summary = analytics_service.get_summary(
        call.session, params, settings=call.settings, cache=call.cache
    )
    record_kpi_view(call.session, "summary")
    return Reply(text.render_summary(summary, call.wording, separator="\n"))


def show_project(call: Call) -> Reply:
    if len(call.args) != 1:
        raise Refusal(call.t("Name one project by its code or id."), usage=True)
    reference = call.args[0][:40]
    project_id = project_service.project_id_for_reference(call.session, reference)
    missing = call.t("No project {reference}.").format(reference=reference)
    if project_id is None:
        raise Refusal(missing, usage=True, outcome="not_found")
    params = period_params(call, ())
    try:
        stats = analytics_service.get_project_stats(
            call.session, project_id, params, settings=call.settings, cache=call.cache
        )
    except NotFound:
        stats = None
    if stats is None:
        raise Refusal(missing, usage=True, outcome="not_found")
    record_kpi_view(call.session, "project")
    return Reply(text.render_project(stats, call.settings.company.currency, call.wording))


def show_open(call: Call) -> Reply:
    at_risk = _kpi(call, "sla-at-risk", s.SlaAtRisk)
    opened = _kpi(call, "open-requests", s.OpenRequests)
    return Reply(text.render_open(opened, at_risk, call.wording))


def show_overdue(call: Call) -> Reply:
    overdue = _kpi(call, "overdue-invoices", s.OverdueInvoices)
    return Reply(text.render_overdue(overdue, call.wording))


def show_engineers(call: Call) -> Reply:
    load = _kpi(call, "utilization", s.Utilization, call.args)
    return Reply(text.render_engineers(load, call.wording))


COMMANDS = (
    Command(
        "analytics",
        _("/analytics [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]"),
        _("the KPI summary: month to date, a month or a period"),
        show_summary,
        needs=ANY_ANALYTICS,
    ),
    Command(
        "project_stats",
        _("/project_stats <project code or id>"),
        _("one project's requests, SLA and margin"),
        show_project,
        needs=DESK,
    ),
    Command(
        "open",
        _("/open"),
        _("open requests, SLA risk first"),
        show_open,
        needs=DESK,
    ),
    Command("overdue", _("/overdue"), _("overdue invoices by client"), show_overdue, needs=FINANCE),
    Command(
        "engineers",
        _("/engineers [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]"),
        _("engineers' load"),
        show_engineers,
        needs=PEOPLE,
    ),
)
