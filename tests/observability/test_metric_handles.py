"""The middleware's hot-path metric handles record exactly what the public API records."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from oversight.observability.metrics import LATENCY_BUCKETS, incrementer, observer

# Every bucket edge exactly, values between and beyond them, zero.
AMOUNTS = [0.0, *LATENCY_BUCKETS, *(b * 0.999 for b in LATENCY_BUCKETS), 31.0, 1e6]


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }


def _twins(kind, **kwargs):
    fast, slow = CollectorRegistry(), CollectorRegistry()
    return (
        kind("twin", "fast", registry=fast, **kwargs),
        kind("twin", "slow", registry=slow, **kwargs),
        fast,
        slow,
    )


def test_observer_fills_the_same_buckets_as_observe():
    fast, slow, fast_registry, slow_registry = _twins(
        Histogram, labelnames=("route",), buckets=LATENCY_BUCKETS
    )
    observe = observer(fast.labels("/x"))
    for amount in AMOUNTS:
        observe(amount)
        slow.labels("/x").observe(amount)
    assert _samples(fast_registry) == _samples(slow_registry)
    assert _samples(fast_registry)[("twin_count", (("route", "/x"),))] == len(AMOUNTS)


def test_incrementer_counts_like_inc_and_dec():
    fast, slow, fast_registry, slow_registry = _twins(Counter, labelnames=("status",))
    increment = incrementer(fast.labels("200"))
    for _ in range(7):
        increment(1)
        slow.labels("200").inc()
    assert _samples(fast_registry) == _samples(slow_registry)

    fast_gauge, slow_gauge, fast_registry, slow_registry = _twins(Gauge)
    step = incrementer(fast_gauge)
    for delta in (1, 1, -1, 1, -1):
        step(delta)
        slow_gauge.inc(delta)
    assert _samples(fast_registry) == _samples(slow_registry)
    assert _samples(fast_registry)[("twin", ())] == 1
