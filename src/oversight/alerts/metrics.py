"""Prometheus gauges of the on-call statistics and KPI adoption, computed from the database
when Prometheus scrapes (at most once per `stats_ttl_seconds`).

Every gauge is always exported (NaN when there is nothing to measure yet), so a dashboard
shows "no data" rather than losing the series.
"""

from __future__ import annotations

import math
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from oversight.alerts import stats
from oversight.alerts.schemas import Goal
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.observability.collectors import CachedCollector

WINDOWS = {"7d": timedelta(days=7), "28d": timedelta(days=28)}


def _value(goal: Goal, scale: float, digits: int) -> float:
    """The figure in the gauge's unit; the statistics round hours and minutes, so seconds are
    whole seconds here and ratios keep four places."""
    return math.nan if goal.value is None else round(goal.value * scale, digits)


class AlertStatsCollector(CachedCollector):
    """The on-call gauges, recomputed at most once per `alerts.stats_ttl_seconds`."""

    def __init__(self, bind: Engine | Connection, settings: Settings) -> None:
        super().__init__(settings.alerts.stats_ttl_seconds, failure_event="alert_metrics_failed")
        self._bind = bind
        self._settings = settings

    def compute(self) -> list[Metric]:
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
