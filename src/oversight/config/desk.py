"""The service desk's own rules: `OVERSIGHT_DESK__*`."""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, _Group
from oversight.vocabulary import Role

# Roles whose row scope can be widened to the unassigned inbox: the only restricted role
# that may assign requests. (Administrators see every request anyway.)
DISPATCHING_ROLES = frozenset({Role.project_manager})


class DeskSettings(_Group):
    """`dispatcher_roles`: roles that see the unassigned inbox — open requests with no
    project or no engineer — besides their own projects' requests, so they can attach
    them to a project and assign them. Empty: only administrators dispatch."""

    dispatcher_roles: Annotated[frozenset[Role], NoDecode, LIST_FROM_TEXT] = DISPATCHING_ROLES

    @field_validator("dispatcher_roles")
    @classmethod
    def _only_dispatching_roles(cls, value: frozenset[Role]) -> frozenset[Role]:
        others = sorted(role.value for role in value - DISPATCHING_ROLES)
        if others:
            allowed = ", ".join(sorted(role.value for role in DISPATCHING_ROLES))
            raise ValueError(
                f"{', '.join(others)} cannot dispatch (roles that can: {allowed}; "
                "administrators see every request anyway)"
            )
        return value
