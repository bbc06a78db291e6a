"""schemathesis as each unscoped role (admin, director, accountant, viewer), and anonymously on
the public routes; test_schemathesis_scoped.py does the scoped roles.

SQLite only unless OVERSIGHT_FUZZ_POSTGRES=1 (see `fuzzing.FUZZ_BACKENDS`).
"""

from __future__ import annotations

import pytest

from builders import make_user
from companies import make_company
from fuzzing import FUZZ_BACKENDS, budget, fuzz, operations
from oversight.auth.public import is_public
from oversight.vocabulary import Role
from routes import sample_url

ROLES = {Role.admin: 6, Role.director: 2, Role.accountant: 3, Role.viewer: 2}
PUBLIC = [label for label in operations() if is_public(*label.split(" ", 1))]
PRIVATE = [label for label in operations() if label not in PUBLIC]


@FUZZ_BACKENDS
@pytest.mark.parametrize("label", PRIVATE)
@pytest.mark.parametrize("role", list(ROLES), ids=str)
def test_schemathesis_finds_no_error_as_staff(app, client, session, auth, role, label):
    make_company(session)
    headers = auth(make_user(session, role))
    method, path = label.split(" ", 1)
    forbidden = client.request(method, sample_url(path), headers=headers).status_code == 403
    fuzz(app, label, headers, budget(label, ROLES[role], forbidden=forbidden))


@FUZZ_BACKENDS
@pytest.mark.parametrize("label", PUBLIC)
def test_schemathesis_finds_no_error_anonymously(app, session, label):
    # login spends a password hash per case: a few cases prove the shape, not the hash
    fuzz(app, label, {}, 5 if "login" in label else 25)
