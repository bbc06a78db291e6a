"""What every model declares once: its row scope, its audit policy, whether it is a KPI input.

Each model class states its traits in one class attribute, next to its columns::

    class Invoice(Timestamped, Base):
        __traits__ = ModelTraits(
            scope=SCOPED,
            audit=Audited("invoice", label="number", history="invoices"),
            kpi_input=True,
        )

and the packages that care derive their lists from the declarations instead of keeping
their own: the row scope (`oversight.auth.scope`), the audit policy and history routes
(`oversight.audit.policy`, `oversight.audit.routes`) and the analytics data version
(`oversight.analytics.version`). A model that opts out says so with `Exempt("why")`.
`tests/db/test_model_traits.py` walks `Base.registry.mappers` and fails for a model that
declares nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from oversight.db.base import Base


@dataclass(frozen=True, slots=True)
class Exempt:
    """Deliberately not subject to a registry; `reason` says why (for the reader, and for
    the test that asks every model to declare itself)."""

    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("an exemption states its reason")


class RowScope(enum.Enum):
    """A model whose rows a restricted principal sees only in part. `oversight.auth.scope`
    holds the criteria per role; a restricted role with no criteria for it sees none of it."""

    scoped = "scoped"


SCOPED = RowScope.scoped


@dataclass(frozen=True, slots=True)
class Audited:
    """The model is captured by the audit trail under `entity_type`.

    `secret` fields are recorded as changed, without values; `pii` fields are masked; `skip`
    fields are not recorded; `label` names the field people know a record by. `history` is
    the permission resource (`oversight.auth.permissions.Resource` value) whose read right
    opens `GET /api/v1/<resource with dashes>/{id}/history`; None: no history route.
    """

    entity_type: str
    secret: frozenset[str] = field(default_factory=frozenset)
    pii: frozenset[str] = field(default_factory=frozenset)
    skip: frozenset[str] = frozenset({"updated_at"})
    label: str = "id"
    history: str | None = None


@dataclass(frozen=True, slots=True)
class ModelTraits:
    """A model's declaration; see the module docstring."""

    scope: RowScope | Exempt
    audit: Audited | Exempt
    kpi_input: bool


TRAITS_ATTRIBUTE = "__traits__"


def traits_of(model: type[Any]) -> ModelTraits | None:
    """The model's own declaration (not inherited), or None when it declares nothing."""
    declared = vars(model).get(TRAITS_ATTRIBUTE)
    return declared if isinstance(declared, ModelTraits) else None


def mapped_models() -> list[type[Any]]:
    """Every mapped model class, by table name. Only models whose module was imported are
    mapped: entry points import `oversight.models` (through `oversight.wiring`)."""
    return sorted(
        (mapper.class_ for mapper in Base.registry.mappers),
        key=lambda model: str(getattr(model, "__tablename__", model.__name__)),
    )


def undeclared_models() -> list[type[Any]]:
    """Mapped models that declare no traits."""
    return [model for model in mapped_models() if traits_of(model) is None]


# -- one model (the hot paths: every flushed object, every scoped query) ------------------


def audit_policy_of(model: type[Any]) -> Audited | None:
    """The model's audit policy; None for an exempt (or undeclared) model."""
    traits = traits_of(model)
    return traits.audit if traits is not None and isinstance(traits.audit, Audited) else None


def is_kpi_input(model: type[Any]) -> bool:
    traits = traits_of(model)
    return traits is not None and traits.kpi_input


# -- every model (derived from the mapped models, refreshed when a model is added) --------


@dataclass(frozen=True, slots=True)
class Registries:
    """The registries every declaration feeds, derived in one pass."""

    scoped: tuple[type[Any], ...]
    audited: dict[type[Any], Audited]
    audited_tables: frozenset[str]
    kpi_inputs: tuple[type[Any], ...]


_derived: tuple[int, Registries] | None = None


def registries() -> Registries:
    """The registries as of the models mapped now (recomputed when their number changes)."""
    global _derived
    count = len(Base.registry.mappers)
    if _derived is None or _derived[0] != count:
        models = mapped_models()
        audited = {m: policy for m in models if (policy := audit_policy_of(m)) is not None}
        found = Registries(
            scoped=tuple(
                m for m in models if (t := traits_of(m)) is not None and t.scope is SCOPED
            ),
            audited=audited,
            audited_tables=frozenset(str(m.__tablename__) for m in audited),
            kpi_inputs=tuple(m for m in models if is_kpi_input(m)),
        )
        _derived = (count, found)
    return _derived[1]
