"""The audit chain's health for Prometheus: the outcome and time of the latest verification
(the nightly `audit_verify` job, the checkpoint job or `oversight audit verify`), read from
`audit_verifications`; and the writes refused because the chain was inconsistent."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from oversight.audit.models import AuditVerification
from oversight.observability.logging import get_logger
from oversight.observability.metrics import REGISTRY

log = get_logger("oversight.audit")

APPEND_REFUSED = Counter(
    "oversight_audit_append_refused",
    "Audit events (and with them the writes they record) refused because the chain has rows "
    "past its recorded head.",
    registry=REGISTRY,
)


def refused(position: int) -> None:
    """Count and log one refused append (no PII: positions only)."""
    APPEND_REFUSED.inc()
    log.error(
        "audit chain inconsistent: append refused",
        action="audit_append_refused",
        status="failure",
        position=position,
    )


class AuditChainCollector:
    """Exports `oversight_audit_chain_valid` (1 intact, 0 broken) and
    `oversight_audit_chain_verified_timestamp_seconds`; nothing before the first verification."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(AuditVerification.verified_at, AuditVerification.ok)
                    .order_by(AuditVerification.id.desc())
                    .limit(1)
                ).first()
        except SQLAlchemyError:
            return
        if row is None:
            return
        valid = GaugeMetricFamily(
            "oversight_audit_chain_valid", "1 if the last audit chain verification passed, else 0"
        )
        valid.add_metric([], 1.0 if row.ok else 0.0)
        when = GaugeMetricFamily(
            "oversight_audit_chain_verified_timestamp_seconds",
            "Unix time of the last audit chain verification",
        )
        when.add_metric([], row.verified_at.timestamp())
        yield valid
        yield when
