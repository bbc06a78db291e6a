"""The alert hub in the bot: /alerts, /alerts stats, /ack <id>, /oncall, and the buttons of
alert messages (`alert:ack:<id>`, `alert:sil:<id>:1h|4h|res`).

Everything goes through `oversight.alerts.service`, which checks the linked user's role
against resource `alerts` as the API does. After an acknowledgement the hub's queued edits
of the alert's Telegram messages are delivered (`delivery.deliver_pending`, its first
checkpoint commits the acknowledgement before any network call).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from oversight.alerts import delivery
from oversight.alerts import service as alert_service
from oversight.alerts.schemas import Goal
from oversight.auth.permissions import Resource
from oversight.errors import NotFound
from oversight.kit.clock import utcnow
from oversight.telegram.runtime import Button, Call, Command, Refusal, Reply, _

ALERTS = frozenset({Resource.alerts})
LISTED = 20  # firing alerts shown by /alerts
_ID = re.compile(r"^#?([0-9]{1,18})$")

# The hub answers a button press in English; each answer's pattern and its message id.
_BUTTON_ANSWERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Acknowledged alert #(?P<id>\d+)\.$"), _("Acknowledged alert #{id}.")),
    (
        re.compile(r"^Alert #(?P<id>\d+) was already acknowledged\.$"),
        _("Alert #{id} was already acknowledged."),
    ),
    (re.compile(r"^Silenced alert #(?P<id>\d+) for 1h\.$"), _("Silenced alert #{id} for 1 h.")),
    (re.compile(r"^Silenced alert #(?P<id>\d+) for 4h\.$"), _("Silenced alert #{id} for 4 h.")),
    (
        re.compile(r"^Silenced alert #(?P<id>\d+) until resolved\.$"),
        _("Silenced alert #{id} until it resolves."),
    ),
    (re.compile(r"^expired$"), _("This message is too old: its buttons have expired.")),
    (re.compile(r"^Unknown button\.$"), _("Unknown button.")),
    (re.compile(r"^You may not do that\.$"), _("Your role may not do this.")),
    (re.compile(r"^That alert no longer exists\.$"), _("That alert no longer exists.")),
    (
        re.compile(r"^Alertmanager did not accept the silence"),
        _("Alertmanager did not accept the silence; try again or use amtool."),
    ),
)


def _translated(call: Call, answer: str) -> str:
    for pattern, message in _BUTTON_ANSWERS:
        found = pattern.match(answer)
        if found is not None:
            return call.t(message).format(**found.groupdict())
    return answer


def _zone(call: Call) -> ZoneInfo:
    return ZoneInfo(call.settings.company.timezone)


def _when(call: Call, moment: datetime) -> str:
    return f"{moment.astimezone(_zone(call)):%d.%m %H:%M}"


def _push_edits(call: Call) -> None:
    """Commit, then deliver the queued edits of the alert's messages (in place)."""
    delivery.deliver_pending(
        call.session,
        call.settings,
        delivery.channels_from(call.settings),
        checkpoint=call.session.commit,
    )


def show_alerts(call: Call) -> Reply:
    if call.args and call.args[0].lower() == "stats":
        return show_stats(call)
    if call.args:
        raise Refusal(call.t("/alerts takes nothing or the word stats."), usage=True)
    alerts, total = alert_service.firing_alerts(call.session, limit=LISTED)
    if not alerts:
        return Reply(call.t("No alert is firing."))
    lines = [call.t("Firing alerts: {count}").format(count=total)]
    for alert in alerts:
        line = f"#{alert.id} [{alert.severity}] {alert.alertname} — " + call.t(
            "since {time}"
        ).format(time=_when(call, alert.starts_at))
        who = alert_service.acknowledger(call.session, alert)
        if alert.acknowledged_at is not None:
            line += "; " + call.t("acknowledged by {name}").format(name=who or "?")
        else:
            line += "; " + call.t("not acknowledged: /ack {id}").format(id=alert.id)
        lines.append(line)
    if total > len(alerts):
        lines.append(call.t("…and {more} more.").format(more=total - len(alerts)))
    return Reply("\n".join(lines))


def _figure(call: Call, goal: Goal) -> str:
    """`2.5 h (goal < 4 h) ✅` in the caller's number format; `—` when there is no figure."""
    units = {"h": call.t("h"), "min": call.t("min"), "%": "%"}
    unit = units.get(goal.unit, goal.unit)
    glue = "" if goal.unit == "%" else " "
    value = (
        "—" if goal.value is None else call.wording.number(Decimal(str(goal.value))) + glue + unit
    )
    target = call.t("goal < {goal}").format(goal=f"{goal.goal:g}{glue}{unit}")
    mark = {True: " ✅", False: " ❌", None: ""}[goal.met]
    return f"{value} ({target}){mark}"


def show_stats(call: Call) -> Reply:
    stats = alert_service.alert_stats(call.session, settings=call.settings)
    overall = stats.overall
    zone = _zone(call)
    period = call.wording.day_range(
        stats.since.astimezone(zone).date(), stats.until.astimezone(zone).date()
    )
    lines = [
        call.t("On-call statistics, {period}").format(period=period),
        call.t("Alerts: {count}").format(count=overall.alerts),
        call.t("MTTR: {figure}").format(figure=_figure(call, overall.mttr)),
        call.t("Time to acknowledge: {figure}").format(figure=_figure(call, overall.time_to_ack)),
        call.t("Noise: {figure}").format(figure=_figure(call, overall.noise)),
    ]
    noisy = sorted(
        (r for r in stats.by_alertname if r.noise.met is False),
        key=lambda r: -(r.noise.value or 0),
    )[:5]
    if noisy:
        lines.append(call.t("Noisiest:"))
        lines += [
            f"• {r.key}: {call.wording.percent(Decimal(str(r.noise.value or 0)))}" for r in noisy
        ]
    return Reply("\n".join(lines))


def acknowledge(call: Call) -> Reply:
    found = _ID.match(call.args[0]) if len(call.args) == 1 else None
    if found is None:
        raise Refusal(call.t("Give one alert number, e.g. /ack 12."), usage=True)
    alert_id = int(found[1])
    try:
        alert = alert_service.acknowledge_alert(
            call.session, alert_id=alert_id, user_id=call.principal.user_id, channel="telegram"
        )
    except NotFound:
        text = call.t("No alert #{id}.").format(id=alert_id)
        raise Refusal(text, usage=True, outcome="not_found") from None
    if alert.acknowledged_by_id != call.principal.user_id:
        who = alert_service.acknowledger(call.session, alert) or "?"
        text = call.t("Alert #{id} was already acknowledged by {name}.")
        return Reply(text.format(id=alert.id, name=who))
    _push_edits(call)
    return Reply(
        call.t("Acknowledged alert #{id} ({name}).").format(id=alert.id, name=alert.alertname)
    )


def show_oncall(call: Call) -> Reply:
    duty = alert_service.oncall_now(call.session, settings=call.settings)
    if duty is None:
        return Reply(call.t("No on-call rotation is configured."))
    lines = [call.t("On call now: {name}").format(name=duty.person.name)]
    if duty.until is not None:
        lines.append(call.t("Until: {time}").format(time=_when(call, duty.until)))
    if duty.next_person is not None:
        lines.append(call.t("Next: {name}").format(name=duty.next_person.name))
    order = alert_service.rotation_order(call.session, settings=call.settings)
    if len(order) > 2:
        lines.append(call.t("Turn order: {names}").format(names=" → ".join(order)))
    return Reply("\n".join(lines))


def press_alert_button(call: Call, data: str, sent_at: datetime | None) -> str:
    answer = alert_service.handle_alert_button(
        call.session,
        user_id=call.principal.user_id,
        data=data,
        sent_at=sent_at or utcnow(),
        settings=call.settings,
    )
    if answer.startswith("Acknowledged alert #"):
        _push_edits(call)
    return _translated(call, answer)


COMMANDS = (
    Command(
        "alerts",
        _("/alerts [stats]"),
        _("firing alerts, or the on-call statistics"),
        show_alerts,
        needs=ALERTS,
    ),
    Command("ack", _("/ack <alert number>"), _("acknowledge an alert"), acknowledge, needs=ALERTS),
    Command("oncall", _("/oncall"), _("who is on call now and next"), show_oncall, needs=ALERTS),
)

BUTTONS = (Button("alert", r"^alert:", press_alert_button),)
