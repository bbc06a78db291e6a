"""KPI views in the audit trail, for adoption: who looked at the figures, through which channel.

Every entry point that shows a KPI to a person (the API's analytics routes, the bot's
commands) records one `analytics.viewed` event after computing it, in the same transaction:
a view that failed leaves none. `entity_id` names what was shown (`summary`, `project`, a KPI,
`chart:<name>`); `details.channel` is `telegram` for the bot and `api` otherwise. Sessions
without a principal (CLI, jobs) are nobody's view and record nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.principal import bound_principal
from oversight.context import current_context

KPI_VIEWED = "analytics.viewed"


def record_kpi_view(session: Session, kpi: str) -> None:
    """One `analytics.viewed` event for the session's principal (none without one)."""
    if bound_principal(session) is None:
        return
    channel = "telegram" if current_context().origin == "bot" else "api"
    record_event(session, KPI_VIEWED, entity_type="kpi", entity_id=kpi,
                 details={"channel": channel})  # fmt: skip
