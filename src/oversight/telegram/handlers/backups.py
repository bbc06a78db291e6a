"""/backup_status: the newest verified backup (time, age, size), the last restore drill and
whether the recovery point objective is met — read from the backup storage by
`oversight.backup.monitoring.status`, as the RPO monitor does."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from oversight.auth.permissions import Resource
from oversight.backup import monitoring
from oversight.backup.errors import BackupError
from oversight.backup.service import engine_of
from oversight.kit.clock import utcnow
from oversight.telegram.runtime import Call, Command, Refusal, Reply, _

BACKUPS = frozenset({Resource.backups})


def _time(call: Call, moment: datetime) -> str:
    return f"{moment.astimezone(ZoneInfo(call.settings.company.timezone)):%d.%m.%Y %H:%M}"


def _age(call: Call, seconds: float) -> str:
    hours = call.t("h")
    return f"{call.wording.number(Decimal(seconds) / 3600)} {hours}"


def _size(call: Call, size: int) -> str:
    unit = call.t("MiB")
    return f"{call.wording.number(Decimal(size) / 2**20)} {unit}"


def show_status(call: Call) -> Reply:
    try:
        state = monitoring.status(call.settings, engine_of(call.session))
    except BackupError as error:
        text = call.t("Backup storage is not reachable: {reason}")
        raise Refusal(text.format(reason=str(error)[:200]), outcome="unavailable") from None
    now = utcnow()
    lines = []
    if state.newest is None or state.age_seconds is None:
        lines.append(call.t("No verified backup yet."))
    else:
        text = call.t("Newest verified backup: {time} ({age} ago), {size}")
        lines.append(
            text.format(
                time=_time(call, state.newest.created_at),
                age=_age(call, state.age_seconds),
                size=_size(call, state.newest.ciphertext_size),
            )
        )
    if state.drill_at is None:
        lines.append(call.t("No restore drill yet."))
    else:
        text = call.t("Last restore drill: {time} ({age} ago)")
        age = _age(call, (now - state.drill_at).total_seconds())
        lines.append(text.format(time=_time(call, state.drill_at), age=age))
    hours = call.wording.number(Decimal(str(state.rpo_hours)))
    verdict = call.t("RPO {hours} h: met") if state.rpo_met else call.t("RPO {hours} h: NOT met")
    lines.append(("✅ " if state.rpo_met else "❌ ") + verdict.format(hours=hours))
    return Reply("\n".join(lines))


COMMANDS = (
    Command(
        "backup_status",
        _("/backup_status"),
        _("the newest verified backup, the last drill and the RPO"),
        show_status,
        needs=BACKUPS,
    ),
)
