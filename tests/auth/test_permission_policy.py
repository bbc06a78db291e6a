"""The permission policy itself, written out cell by cell. Changing who may do what is a
deliberate act: it changes this grid in the same commit."""

from __future__ import annotations

import pytest

from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.vocabulary import Role

ROLES = [
    Role.admin,
    Role.director,
    Role.accountant,
    Role.project_manager,
    Role.engineer,
    Role.client,
    Role.viewer,
]
POLICY = """
customers       read        Y Y Y Y Y Y Y
customers       create      Y . Y . . . .
customers       update      Y . Y . . . .
projects        read        Y Y Y Y Y Y Y
projects        create      Y . . Y . . .
projects        update      Y . . Y . . .
project_costs   read        Y Y Y Y . . Y
project_costs   create      Y . Y Y . . .
project_costs   update      Y . Y Y . . .
requests        read        Y Y Y Y Y Y Y
requests        create      Y . . Y . Y .
requests        update      Y . . Y . . .
requests        assign      Y . . Y . . .
requests        start       Y . . Y Y . .
requests        complete    Y . . Y Y . .
requests        approve     Y . . . . Y .
requests        reject      Y . . . . Y .
requests        close       Y . . Y . . .
requests        reopen      Y . . Y . Y .
requests        cancel      Y . . Y . Y .
work_logs       read        Y Y Y Y Y . Y
work_logs       create      Y . . . Y . .
work_logs       update      Y . . . Y . .
invoices        read        Y Y Y Y . Y Y
invoices        create      Y . Y Y . . .
invoices        update      Y . Y Y . . .
invoices        issue       Y . Y . . . .
invoices        mark_paid   Y . Y . . . .
invoices        cancel      Y . Y . . . .
users           read        Y Y . . . . .
users           create      Y . . . . . .
users           update      Y . . . . . .
engineers       read        Y Y . Y . . .
audit           read        Y . . . . . .
audit           export      Y . . . . . .
analytics_desk      read    Y Y . Y . Y Y
analytics_finance   read    Y Y Y Y . . Y
analytics_people    read    Y Y . Y Y . Y
alerts          read        Y Y . Y . . Y
alerts          acknowledge Y . . Y . . .
alerts          silence     Y . . Y . . .
alerts          update      Y . . . . . .
backups         read        Y Y . . . . .
attachments     read        Y Y Y Y Y Y Y
attachments     create      Y . . Y Y Y .
attachments     delete      Y . . Y Y Y .
"""


def _cells() -> dict[tuple[Role, Resource, Action], bool]:
    cells = {}
    for line in POLICY.strip().splitlines():
        resource, action, *marks = line.split()
        for role, mark in zip(ROLES, marks, strict=True):
            cells[(role, Resource(resource), Action(action))] = mark == "Y"
    return cells


CELLS = _cells()


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_has_exactly_the_written_permissions(role):
    granted = {(r, a) for r in Resource for a in Action if is_allowed(role, r, a)}
    expected = {(r, a) for (who, r, a), allowed in CELLS.items() if who is role and allowed}
    assert granted == expected


def test_read_only_roles_write_nothing():
    for role in (Role.director, Role.viewer):
        assert not any(
            is_allowed(role, resource, action)
            for resource in Resource
            for action in Action
            if action is not Action.read
        )
