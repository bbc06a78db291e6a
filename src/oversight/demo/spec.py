"""What a demo load asks for (`DemoSpec`) and what it produced (`DemoSummary`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from oversight.vocabulary import Role

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed by the CLI; demo databases only

DEMO_ACCOUNT_ROLES: tuple[tuple[str, Role], ...] = (
    ("admin", Role.admin),
    ("director", Role.director),
    ("accountant", Role.accountant),
    ("pm", Role.project_manager),
    ("engineer", Role.engineer),
    ("client", Role.client),
    ("viewer", Role.viewer),
)

MAX_MONTHS = 120


class DemoDataError(Exception):
    """The demo data cannot be loaded into this database; the message says why."""


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """The size and shape of the demo company; the same spec and seed give the same data.

    `end` is the local date (company timezone) on which the history ends; None means today,
    and then the history runs up to the current moment, so nothing lies in the future.
    Raises ValueError naming the field when a value is out of range.
    """

    customers: int = 12
    engineers: int = 8
    project_managers: int = 3
    projects: int = 20
    requests: int = 2000
    months: int = 18
    seed: int = 20261122
    end: date | None = None
    with_accounts: bool = True

    def __post_init__(self) -> None:
        for name in ("customers", "engineers", "project_managers", "projects"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("requests", self.requests, minimum=0)
        _check_int("months", self.months, minimum=1, maximum=MAX_MONTHS)
        _check_int("seed", self.seed)
        if self.end is not None and not isinstance(self.end, date):
            raise ValueError(f"end: expected a date or None, got {self.end!r}")


def _check_int(
    name: str, value: object, minimum: int | None = None, maximum: int | None = None
) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: must be at most {maximum}, got {value}")


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A login created for trying the demo; its password is `DEMO_PASSWORD`."""

    username: str
    role: Role


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What `generate` did: rows inserted per table (`counts`), the demo logins, and the span
    of the history."""

    counts: Mapping[str, int]
    accounts: tuple[DemoAccount, ...]
    history_start: date
    history_end: date
    password: str | None = field(default=None, repr=False)
