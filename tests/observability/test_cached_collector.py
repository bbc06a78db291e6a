"""The TTL cache of the scrape-time collectors (`CachedCollector`), on a real SQLite file with an
injected clock: no sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, create_engine, text

from oversight.observability.collectors import CachedCollector

TTL = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FigureCollector(CachedCollector):
    """Exports `test_figure` read from the one row of table `figures`; counts its computes."""

    def __init__(self, engine: Engine, clock: Clock, ttl: float = TTL) -> None:
        super().__init__(ttl, failure_event="test_figure_failed", clock=clock)
        self.engine = engine
        self.computes = 0

    def compute(self) -> list[Metric]:
        self.computes += 1
        with self.engine.connect() as connection:
            value = connection.scalar(text("SELECT value FROM figures"))
        return [GaugeMetricFamily("test_figure", "A figure read from the database.", value=value)]


def scrape(collector: CachedCollector) -> dict[str, float]:
    return {
        sample.name: sample.value for metric in collector.collect() for sample in metric.samples
    }


def set_figure(engine: Engine, value: float) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM figures"))
        connection.execute(text("INSERT INTO figures (value) VALUES (:value)"), {"value": value})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'figures.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE figures (value FLOAT NOT NULL)"))
    set_figure(engine, 1)
    yield engine
    engine.dispose()


def test_figures_are_served_from_the_cache_until_the_ttl_has_passed(engine: Engine) -> None:
    clock = Clock()
    collector = FigureCollector(engine, clock)
    assert scrape(collector) == {"test_figure": 1}
    set_figure(engine, 2)
    clock.now += TTL - 0.001
    assert scrape(collector) == {"test_figure": 1}  # cached: the database is not asked
    assert collector.computes == 1
    clock.now += 0.001
    assert scrape(collector) == {"test_figure": 2}
    assert collector.computes == 2


def test_a_zero_ttl_computes_on_every_scrape(engine: Engine) -> None:
    collector = FigureCollector(engine, Clock(), ttl=0)
    assert scrape(collector) == {"test_figure": 1}
    set_figure(engine, 2)
    assert scrape(collector) == {"test_figure": 2}
    assert collector.computes == 2


def test_a_failing_database_is_logged_and_asked_again_only_after_the_ttl(
    engine: Engine, json_logs
) -> None:
    clock = Clock()
    collector = FigureCollector(engine, clock)
    assert scrape(collector) == {"test_figure": 1}
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE figures"))
    clock.now += TTL
    assert scrape(collector) == {}  # the old figures are dropped, not served stale
    failures = [line for line in json_logs() if line.get("action") == "test_figure_failed"]
    assert [(line["level"], line["error"]) for line in failures] == [
        ("warning", "OperationalError")
    ]
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE figures (value FLOAT NOT NULL)"))
    set_figure(engine, 3)
    clock.now += TTL - 0.001
    assert scrape(collector) == {}  # the failure is cached too: one query per TTL
    assert collector.computes == 2
    clock.now += 0.001
    assert scrape(collector) == {"test_figure": 3}


def test_an_error_that_is_not_the_databases_propagates_and_is_retried(engine: Engine) -> None:
    class Broken(FigureCollector):
        def compute(self) -> list[Metric]:
            super().compute()
            raise RuntimeError("a bug")

    collector = Broken(engine, Clock())
    for _ in range(2):
        with pytest.raises(RuntimeError, match="a bug"):
            scrape(collector)
    assert collector.computes == 2  # not cached: the next scrape computes again
