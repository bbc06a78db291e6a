"""Prometheus gauges of the on-call statistics and KPI adoption, computed from the database
when Prometheus scrapes (at most once per `stats_ttl_seconds`).

Every gauge is always exported (NaN when there is nothing to measure yet), so a dashboard
shows "no data" rather than losing the series.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from oversight.alerts import stats
from oversight.alerts.schemas import Goal
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger

log = get_logger("oversight.metrics")
WINDOWS = {"7d": timedelta(days=7), "28d": timedelta(days=28)}


def _value(goal: Goal, scale: float, digits: int) -> float:
    """The figure in the gauge's unit; the statistics round hours and minutes, so seconds are
    whole seconds here and ratios keep four places."""
    return math.nan if goal.value is None else round(goal.value * scale, digits)


class AlertStatsCollector:
    def __init__(self, bind: Engine | Connection, settings: Settings) -> None:
        self._bind = bind
        self._settings = settings
        self._ttl = settings.alerts.stats_ttl_seconds
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._expires = 0.0

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() >= self._expires:
                try:
                    self._cached = self._query()
                except SQLAlchemyError as error:
                    log.warning("alert_metrics_failed", error=type(error).__name__)
                    self._cached = []
                self._expires = time.monotonic() + self._ttl
            cached = list(self._cached)
        yield from cached

    def _query(self) -> list[Metric]:
        now = utcnow()
        mttr = GaugeMetricFamily(
            "oversight_alerts_mttr_seconds",
            "Mean time from firing to resolved over the window.",
            labels=["window"],
        )
        ack = GaugeMetricFamily(
            "oversight_alerts_time_to_ack_seconds",
            "Mean time from firing to acknowledged over the window.",
            labels=["window"],
        )
        noise = GaugeMetricFamily(
            "oversight_alerts_noise_ratio",
            "Share of paging alerts that were noise (quick self-resolved or "
            "flapping) over the window.",
            labels=["window"],
        )
        count = GaugeMetricFamily(
            "oversight_alerts_count", "Paging alerts started in the window.", labels=["window"]
        )
        goals = GaugeMetricFamily(
            "oversight_alerts_goal",
            "Operations goals: mttr_seconds, time_to_ack_seconds, noise_ratio, adoption_ratio.",
            labels=["measure"],
        )
        adoption = GaugeMetricFamily(
            "oversight_kpi_adoption_ratio",
            "Share of the people of a role who viewed a KPI in 30 days.",
            labels=["role"],
        )
        with Session(bind=self._bind) as session:
            for name, span in WINDOWS.items():
                figures = stats.compute(
                    session, self._settings, since=now - span, until=now, now=now
                )
                mttr.add_metric([name], _value(figures.overall.mttr, 3600, 0))
                ack.add_metric([name], _value(figures.overall.time_to_ack, 60, 0))
                noise.add_metric([name], _value(figures.overall.noise, 0.01, 4))
                count.add_metric([name], figures.overall.alerts)
            for entry in figures.adoption:
                adoption.add_metric([entry.role], math.nan if entry.share is None else entry.share)
        goals.add_metric(["mttr_seconds"], stats.MTTR_GOAL_HOURS * 3600)
        goals.add_metric(["time_to_ack_seconds"], stats.ACK_GOAL_MINUTES * 60)
        goals.add_metric(["noise_ratio"], stats.NOISE_GOAL_PERCENT / 100)
        goals.add_metric(["adoption_ratio"], stats.ADOPTION_GOAL)
        return [mttr, ack, noise, count, goals, adoption]
