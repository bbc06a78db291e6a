"""The stream of service requests: who asks, for which contract, and what became of it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import accumulate

from oversight.config import Settings
from oversight.demo import arrivals
from oversight.demo.company import Company
from oversight.demo.lifecycle import Batch, Ids, Lifecycle, Parties
from oversight.demo.working_time import History

CLIENT_CREATES_SHARE = 0.35
"""Requests a customer's own login files; the project manager files the rest."""


def request_batches(
    rng: random.Random,
    settings: Settings,
    history: History,
    company: Company,
    plans: list[arrivals.DayPlan],
    ids: Ids,
    last_number: int,
    size: int,
) -> Iterator[Batch]:
    """Requests numbered after `last_number` with their approvals and work logs, `size`
    requests a batch, in order of creation; `ids` advances as rows are made."""
    lifecycle = Lifecycle(settings, history)
    engineers = [engineer.id for engineer in company.engineers]
    capacities = list(accumulate(float(engineer.capacity) for engineer in company.engineers))
    batch = Batch([], [], [])
    for plan, created in arrivals.arrivals(rng, plans):
        if rng.random() < arrivals.AD_HOC_SHARE:
            customer = rng.choice(company.customers)
            project_id, manager_id = None, None
        else:
            project = plan.project(rng)
            customer = company.customer(project.customer_id)
            project_id, manager_id = project.id, project.manager_id
        client = customer.client_user_id
        files = client is not None and rng.random() < CLIENT_CREATES_SHARE
        parties = Parties(
            customer_id=customer.id,
            project_id=project_id,
            engineer_id=rng.choices(engineers, cum_weights=capacities)[0],
            created_by_id=client if files else manager_id,
            decided_by_id=client if client is not None else manager_id,
        )
        last_number += 1
        lifecycle.simulate(rng, ids, f"SR-{last_number:06d}", created, parties, batch)
        if len(batch.requests) >= size:
            yield batch
            batch = Batch([], [], [])
    if batch.requests:
        yield batch
