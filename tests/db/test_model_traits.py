"""Every model declares its row scope, audit policy and KPI-input status once, and the
registries (row scope, audit capture and history, the KPI data version) follow from that."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import oversight
import oversight.models
from oversight.audit.policy import audited_tables
from oversight.audit.routes import HistoryEntity, history_routes
from oversight.auth.permissions import Resource
from oversight.auth.principal import Principal
from oversight.auth.scope import UNRESTRICTED_ROLES, criteria_for, written_criteria
from oversight.db.traits import (
    Audited,
    Exempt,
    ModelTraits,
    audit_policy_of,
    mapped_models,
    registries,
    traits_of,
    undeclared_models,
)
from oversight.vocabulary import Role

RESTRICTED_ROLES = [role for role in Role if role not in UNRESTRICTED_ROLES]


def _every_module() -> None:
    """Import every module of the package, so a model defined anywhere is mapped."""
    for module in pkgutil.walk_packages(oversight.__path__, "oversight."):
        if ".migrations." not in module.name:
            importlib.import_module(module.name)


def test_every_mapped_model_declares_its_traits() -> None:
    _every_module()
    missing = [model.__name__ for model in undeclared_models()]
    assert not missing, (
        "declare __traits__ = ModelTraits(scope=..., audit=..., kpi_input=...) on "
        + ", ".join(missing)
        + " (see oversight.db.traits)"
    )


def test_every_mapped_model_is_registered_in_oversight_models() -> None:
    _every_module()
    listed = {getattr(oversight.models, name) for name in oversight.models.__all__}
    assert set(mapped_models()) <= listed


def test_a_model_without_a_declaration_is_named() -> None:
    class Scratch(DeclarativeBase):
        pass

    class Forgotten(Scratch):
        __tablename__ = "forgotten"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Remembered(Scratch):
        __tablename__ = "remembered"
        __traits__ = ModelTraits(scope=Exempt("scratch"), audit=Exempt("scratch"), kpi_input=False)
        id: Mapped[int] = mapped_column(primary_key=True)

    assert traits_of(Forgotten) is None
    assert traits_of(Remembered) is not None
    with pytest.raises(ValueError, match="reason"):
        Exempt(" ")


@pytest.mark.parametrize("role", RESTRICTED_ROLES, ids=lambda role: role.value)
def test_restricted_roles_have_criteria_for_exactly_the_scoped_models(role: Role) -> None:
    principal = Principal(user_id=1, username="someone", role=role, customer_id=1)
    written = set(written_criteria(principal))
    scoped = set(registries().scoped)
    assert written == scoped, (
        f"{role.value}: criteria for {sorted(m.__name__ for m in written - scoped)} that are "
        f"not declared SCOPED; none for {sorted(m.__name__ for m in scoped - written)}"
    )


def test_a_role_the_scope_does_not_know_sees_no_scoped_model() -> None:
    # Cast a string to Role's place: the table must fail closed for a role it never heard of.
    stranger: Any = "auditor-from-the-future"
    principal = Principal(user_id=1, username="x", role=stranger)
    assert set(criteria_for(principal)) == set(registries().scoped)


def test_unrestricted_roles_get_no_criteria() -> None:
    for role in UNRESTRICTED_ROLES:
        assert criteria_for(Principal(user_id=1, username="x", role=role)) == {}


def test_registries_follow_the_declarations() -> None:
    names = {model.__name__ for model in registries().scoped}
    assert names == {
        "Customer", "Project", "ProjectCost", "ServiceRequest", "CompletionApproval",
        "WorkLog", "Invoice", "Attachment",
    }  # fmt: skip
    assert {m.__name__: p.entity_type for m, p in registries().audited.items()} == {
        "Customer": "customer", "Project": "project", "ProjectCost": "project_cost",
        "ServiceRequest": "service_request", "CompletionApproval": "completion_approval",
        "WorkLog": "work_log", "Invoice": "invoice", "User": "user", "Attachment": "attachment",
    }  # fmt: skip
    assert {m.__name__ for m in registries().kpi_inputs} == names - {"Attachment"} | {"User"}
    assert audited_tables() == {str(m.__tablename__) for m in registries().audited}


def test_every_scoped_model_is_audited() -> None:
    for model in registries().scoped:
        traits = traits_of(model)
        assert traits is not None
        assert isinstance(traits.audit, Audited), model.__name__


def test_history_routes_are_the_declared_ones() -> None:
    routes = history_routes()
    assert set(routes) == {entity.value for entity in HistoryEntity}
    for path, (model, policy, resource) in routes.items():
        assert policy is audit_policy_of(model)
        assert resource in Resource
        assert path == resource.value.replace("_", "-")


SRC = Path(oversight.__file__).parent


def test_scope_decisions_are_made_in_the_scope_module() -> None:
    """Which roles see everything is decided in auth/scope.py; other modules ask it."""
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "scope.py"
        and re.search(r"UNRESTRICTED_ROLES|role is not Role\.admin", path.read_text())
    ]
    assert offenders == []
