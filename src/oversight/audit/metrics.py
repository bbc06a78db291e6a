"""The audit chain's health for Prometheus: the outcome and time of the latest verification
(the nightly `audit_verify` job or `oversight audit verify`), read from the trail itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from oversight.audit.models import AuditEvent
from oversight.audit.service import VERIFIED


class AuditChainCollector:
    """Exports `oversight_audit_chain_valid` (1 intact, 0 broken) and
    `oversight_audit_chain_verified_timestamp_seconds`; nothing before the first verification."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(AuditEvent.occurred_at, AuditEvent.changes)
                    .where(AuditEvent.action == VERIFIED)
                    .order_by(AuditEvent.id.desc())
                    .limit(1)
                ).first()
        except SQLAlchemyError:
            return
        if row is None:
            return
        valid = GaugeMetricFamily(
            "oversight_audit_chain_valid", "1 if the last audit chain verification passed, else 0"
        )
        valid.add_metric([], 1.0 if json.loads(row.changes or "{}").get("ok") else 0.0)
        when = GaugeMetricFamily(
            "oversight_audit_chain_verified_timestamp_seconds",
            "Unix time of the last audit chain verification",
        )
        when.add_metric([], row.occurred_at.timestamp())
        yield valid
        yield when
