"""The text of alert messages: firing, escalated, acknowledged, resolved, and the digest.

Times are shown in the company's time zone. Plain text (no markup), so label values need no
escaping in any channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from oversight.alerts.models import Alert, AlertStatus
from oversight.alerts.notifiers import Button, Message

_MARK = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
_SHOWN_LABELS = ("instance", "job", "service")


def alert_buttons(alert: Alert) -> tuple[tuple[Button, ...], ...]:
    """Acknowledge (until someone has), and the three silences, while the alert fires."""
    if alert.status is AlertStatus.resolved:
        return ()
    rows: list[tuple[Button, ...]] = []
    if alert.acknowledged_at is None:
        rows.append((Button("✅ Acknowledge", f"alert:ack:{alert.id}"),))
    rows.append(
        (
            Button("🔕 1h", f"alert:sil:{alert.id}:1h"),
            Button("🔕 4h", f"alert:sil:{alert.id}:4h"),
            Button("🔕 until resolved", f"alert:sil:{alert.id}:res"),
        )
    )
    return tuple(rows)


def duration_text(span: timedelta) -> str:
    minutes = max(0, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def _time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def alert_message(
    alert: Alert, *, zone: ZoneInfo, acknowledged_by: str | None, escalated: bool = False
) -> Message:
    """The message about `alert` in its current state, with the buttons that still apply."""
    severity = alert.severity.upper()
    if alert.status is AlertStatus.resolved:
        head = f"✅ RESOLVED {severity}: {alert.alertname}"
    else:
        head = f"{_MARK.get(alert.severity, '⚪')} {severity}: {alert.alertname}"
        if escalated:
            head = f"⏫ ESCALATED (not acknowledged) {head}"
    lines = [head]
    summary = alert.annotations.get("summary") or alert.annotations.get("description")
    if summary:
        lines.append(str(summary))
    for name in _SHOWN_LABELS:
        if name in alert.labels:
            lines.append(f"{name}: {alert.labels[name]}")
    lines.append(f"Firing since {_time(alert.starts_at, zone)}")
    if alert.status is AlertStatus.resolved and alert.ends_at is not None:
        lines.append(
            f"Resolved at {_time(alert.ends_at, zone)} "
            f"after {duration_text(alert.ends_at - alert.starts_at)}"
        )
    if alert.acknowledged_at is not None:
        who = acknowledged_by or "someone"
        lines.append(f"Acknowledged by {who} at {_time(alert.acknowledged_at, zone)}")
    elif alert.status is AlertStatus.resolved:
        lines.append("Not acknowledged")
    runbook = alert.annotations.get("runbook_url")
    if runbook:
        lines.append(f"Runbook: {runbook}")
    lines.append(f"Alert #{alert.id}")
    return Message(subject=head, text="\n".join(lines), buttons=alert_buttons(alert))


def digest_message(alerts: Sequence[Alert], *, zone: ZoneInfo) -> Message:
    subject = f"🔵 Daily digest: {len(alerts)} info alert{'s' if len(alerts) != 1 else ''}"
    lines = [subject]
    for alert in alerts:
        state = "resolved" if alert.status is AlertStatus.resolved else "firing"
        summary = alert.annotations.get("summary", "")
        lines.append(
            f"• {_time(alert.starts_at, zone)} {alert.alertname} ({state})"
            + (f": {summary}" if summary else "")
        )
    return Message(subject=subject, text="\n".join(lines))
