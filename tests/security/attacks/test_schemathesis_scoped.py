"""schemathesis as each scoped role (project manager, engineer, client), each the person of a
company with one record of every kind, so generated small ids hit records in and out of scope.
SQLite only unless OVERSIGHT_FUZZ_POSTGRES=1 (see `fuzzing.FUZZ_BACKENDS`)."""

from __future__ import annotations

import pytest

from companies import make_company
from fuzzing import FUZZ_BACKENDS, budget, fuzz, operations
from oversight.auth.public import is_public
from oversight.vocabulary import Role
from routes import sample_url

ROLES = {Role.project_manager: 3, Role.engineer: 3, Role.client: 3}
PRIVATE = [label for label in operations() if not is_public(*label.split(" ", 1))]


@FUZZ_BACKENDS
@pytest.mark.parametrize("label", PRIVATE)
@pytest.mark.parametrize("role", list(ROLES), ids=str)
def test_schemathesis_finds_no_error_as_scoped_role(app, client, session, auth, role, label):
    mine = make_company(session)
    make_company(session)
    headers = auth(mine.person(role))
    method, path = label.split(" ", 1)
    forbidden = client.request(method, sample_url(path), headers=headers).status_code == 403
    fuzz(app, label, headers, budget(label, ROLES[role], forbidden=forbidden))
