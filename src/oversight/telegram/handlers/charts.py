"""/chart <name> [period]: a KPI chart as a PNG photo (`oversight.analytics.charts`)."""

from __future__ import annotations

from oversight.analytics import service as analytics_service
from oversight.analytics.views import record_kpi_view
from oversight.auth.dependencies import deny
from oversight.errors import PermissionDenied
from oversight.telegram.arguments import period_params
from oversight.telegram.handlers.kpis import ANY_ANALYTICS
from oversight.telegram.runtime import Call, Command, Refusal, Reply, _


def send_chart(call: Call) -> Reply:
    names = ", ".join(sorted(analytics_service.CHART_KPIS))
    if not call.args:
        raise Refusal(call.t("Name a chart: {names}.").format(names=names), usage=True)
    name = call.args[0].lower()
    kpi = analytics_service.CHART_KPIS.get(name)
    if kpi is None:
        text = call.t("No chart {name}. Charts: {names}.").format(name=name[:40], names=names)
        raise Refusal(text, usage=True, outcome="not_found")
    if kpi.resource not in analytics_service.allowed_sections(call.session):
        try:
            deny(call.session, call.principal, kpi.resource.value, "read")
        except PermissionDenied:
            text = call.t("Your role may not see the {name} chart.").format(name=name)
            raise Refusal(text, outcome="denied") from None
    params = period_params(call, call.args[1:])
    data = analytics_service.get_kpi(
        call.session, kpi.name, params, settings=call.settings, cache=call.cache
    )
    # matplotlib loads with the first chart, not when the bot starts
    from oversight.analytics import charts

    png = charts.render(name, data, call.wording)
    record_kpi_view(call.session, f"chart:{name}")
    return Reply(call.t("Chart: {name}").format(name=name), photo=png)


COMMANDS = (
    Command(
        "chart",
        _("/chart <name> [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]"),
        _("a chart as a picture"),
        send_chart,
        needs=ANY_ANALYTICS,
    ),
)
