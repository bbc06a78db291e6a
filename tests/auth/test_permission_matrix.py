"""Role by endpoint by action: every cell of the permission table, through the real API.

Each in-scope case builds a small company in which the caller's row scope *does* include the
target records, so the only thing that can refuse the call is the permission table: an allowed
cell must succeed (200/201), a forbidden one must be 403 with exactly one `access.denied`
audit event of the caller for that request (kept although the request rolled back). The
out-of-scope cases aim the same
calls at another company's records: a cell the role may use answers 404 with the very bytes a
missing record gets, and leaves an `access.out_of_scope` audit event; a forbidden one is 403.
A last test checks the matrix covers every route of the API.

The in-scope cells test the permission table, which is decided before any query, so they run
on SQLite only (`PERMISSION_CELLS`); the out-of-scope cells exercise the row scope in SQL and
run on both engines. Each endpoint's own behaviour on PostgreSQL is covered by its API tests.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from alert_hub import make_alert, start_alertmanager
from builders import make_user
from companies import Company, make_company
from files_samples import make_attachment, png
from oversight.analytics.kpis import KPIS
from oversight.audit.models import AuditEvent
from oversight.auth.models import User
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.public import is_public
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.config import AlertsSettings
from oversight.customers.models import Customer
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.projects.models import Project, ProjectCost, ProjectStatus
from oversight.service_requests.models import RequestStatus, ServiceRequest, WorkLog
from oversight.vocabulary import Role
from routes import routes_of

_unique = itertools.count(1)


@dataclass(frozen=True)
class Endpoint:
    resource: Resource
    action: Action
    method: str
    path: str
    request_status: RequestStatus = RequestStatus.in_progress
    invoice_status: InvoiceStatus = InvoiceStatus.issued
    project_status: ProjectStatus = ProjectStatus.active

    def body(self, world: Company, role: Role) -> dict[str, Any] | None:
        n = next(_unique)
        bodies: dict[tuple[Resource, Action], dict[str, Any] | None] = {
            (Resource.customers, Action.create): {"name": f"Matrix Customer {n}"},
            (Resource.customers, Action.update): {"address": "1 Test Street"},
            (Resource.projects, Action.create): {
                "name": f"Matrix Project {n}",
                "customer_id": world.customer.id,
                "manager_id": world.manager.id,
                "budget": "5000.00",
                "start_date": "2026-01-01",
            },
            (Resource.projects, Action.update): {"name": "Renamed project"},
            (Resource.project_costs, Action.create): {
                "project_id": world.project.id,
                "incurred_on": "2026-02-02",
                "category": "travel",
                "description": "Fuel",
                "amount": "300.00",
            },
            (Resource.project_costs, Action.update): {"description": "Fuel and tolls"},
            (Resource.requests, Action.create): {
                "title": "Matrix request",
                "project_id": world.project.id,
            },
            (Resource.requests, Action.update): {"title": "Matrix request, renamed"},
            (Resource.requests, Action.assign): {"engineer_id": world.engineer.id},
            (Resource.requests, Action.reject): {"comment": "Not fixed"},
            (Resource.work_logs, Action.create): {
                "request_id": world.request.id,
                "work_date": "2026-03-03",
                "hours": "1.50",
                **({} if role is Role.engineer else {"engineer_id": world.engineer.id}),
            },
            (Resource.work_logs, Action.update): {"hours": "2.00"},
            (Resource.invoices, Action.create): {
                "customer_id": world.customer.id,
                "project_id": world.project.id,
                "amount": "1000.00",
            },
            (Resource.invoices, Action.update): {"description": "Corrected"},
            (Resource.users, Action.create): {
                "username": f"matrix.user{n}",
                "full_name": "Matrix User",
                "password": "a long enough password",
                "role": "viewer",
            },
            (Resource.users, Action.update): {"full_name": "Renamed User"},
        }
        if self.path == "/users/{user}/password":
            return {"temporary_password": f"matrix temporary password {n}"}
        if self.path == "/requests/assign":  # the batch form names its records in the body
            return {"request_ids": [world.request.id], "engineer_id": world.engineer.id}
        return bodies.get((self.resource, self.action))

    def url(self, world: Company) -> str:
        return "/api/v1" + self.path.format(
            customer=world.customer.id,
            project=world.project.id,
            cost=world.cost.id,
            request=world.request.id,
            work_log=world.work_log.id,
            invoice=world.invoice.id,
            user=world.engineer.id,
        )


R, A = Resource, Action
S, IS, PS = RequestStatus, InvoiceStatus, ProjectStatus
ENDPOINTS = [
    Endpoint(R.customers, A.read, "GET", "/customers/{customer}"),
    Endpoint(R.customers, A.create, "POST", "/customers"),
    Endpoint(R.customers, A.update, "PATCH", "/customers/{customer}"),
    Endpoint(R.projects, A.read, "GET", "/projects/{project}"),
    Endpoint(R.projects, A.create, "POST", "/projects"),
    Endpoint(R.projects, A.update, "PATCH", "/projects/{project}"),
    Endpoint(R.projects, A.update, "POST", "/projects/{project}/start", project_status=PS.planned),
    Endpoint(R.projects, A.update, "POST", "/projects/{project}/hold"),
    Endpoint(R.projects, A.update, "POST", "/projects/{project}/resume", project_status=PS.on_hold),
    Endpoint(R.projects, A.update, "POST", "/projects/{project}/complete"),
    Endpoint(R.projects, A.update, "POST", "/projects/{project}/cancel"),
    Endpoint(R.project_costs, A.read, "GET", "/project-costs/{cost}"),
    Endpoint(R.project_costs, A.create, "POST", "/project-costs"),
    Endpoint(R.project_costs, A.update, "PATCH", "/project-costs/{cost}"),
    Endpoint(R.requests, A.read, "GET", "/requests/{request}"),
    Endpoint(R.requests, A.create, "POST", "/requests"),
    Endpoint(R.requests, A.update, "PATCH", "/requests/{request}"),
    Endpoint(R.requests, A.assign, "POST", "/requests/{request}/assign", S.assigned),
    Endpoint(R.requests, A.assign, "POST", "/requests/assign", S.assigned),
    Endpoint(R.requests, A.start, "POST", "/requests/{request}/start", S.assigned),
    Endpoint(R.requests, A.complete, "POST", "/requests/{request}/complete", S.in_progress),
    Endpoint(R.requests, A.approve, "POST", "/requests/{request}/approve", S.awaiting_approval),
    Endpoint(R.requests, A.reject, "POST", "/requests/{request}/reject", S.awaiting_approval),
    Endpoint(R.requests, A.close, "POST", "/requests/{request}/close", S.awaiting_approval),
    Endpoint(R.requests, A.reopen, "POST", "/requests/{request}/reopen", S.closed),
    Endpoint(R.requests, A.cancel, "POST", "/requests/{request}/cancel", S.assigned),
    Endpoint(R.work_logs, A.read, "GET", "/work-logs/{work_log}"),
    Endpoint(R.work_logs, A.create, "POST", "/work-logs"),
    Endpoint(R.work_logs, A.update, "PATCH", "/work-logs/{work_log}"),
    Endpoint(R.invoices, A.read, "GET", "/invoices/{invoice}"),
    Endpoint(R.invoices, A.create, "POST", "/invoices"),
    Endpoint(R.invoices, A.update, "PATCH", "/invoices/{invoice}", invoice_status=IS.draft),
    Endpoint(R.invoices, A.issue, "POST", "/invoices/{invoice}/issue", invoice_status=IS.draft),
    Endpoint(R.invoices, A.mark_paid, "POST", "/invoices/{invoice}/mark-paid"),
    Endpoint(R.invoices, A.cancel, "POST", "/invoices/{invoice}/cancel"),
    Endpoint(R.users, A.read, "GET", "/users/{user}"),
    Endpoint(R.users, A.create, "POST", "/users"),
    Endpoint(R.users, A.update, "PATCH", "/users/{user}"),
    Endpoint(R.users, A.update, "DELETE", "/users/{user}/two-factor"),
    Endpoint(R.users, A.update, "POST", "/users/{user}/telegram-link-code"),
    Endpoint(R.users, A.update, "POST", "/users/{user}/two-factor/enrolment-token"),
    Endpoint(R.users, A.update, "POST", "/users/{user}/password"),
]
# The caller's own account: open to every signed-in role, whatever the permission table says.
SELF_SERVICE = [
    ("POST", "/auth/password", {"current_password": "wrong", "new_password": "x" * 12}),
    ("POST", "/auth/2fa/enrolment", None),
    ("GET", "/auth/2fa/enrolment/qr.png", None),
    ("POST", "/auth/2fa/enrolment/confirm", {"code": "000000"}),
    ("POST", "/auth/2fa/recovery-codes", None),
]
LISTS = {
    R.customers: "/customers",
    R.projects: "/projects",
    R.project_costs: "/project-costs",
    R.requests: "/requests",
    R.work_logs: "/work-logs",
    R.invoices: "/invoices",
    R.users: "/users",
}


PERMISSION_CELLS = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _id(endpoint: Endpoint) -> str:
    batch = "-batch" if endpoint.action is not A.create and "{" not in endpoint.path else ""
    named = endpoint.path.rsplit("/", 1)[-1] if endpoint.method == "POST" else ""
    step = (
        f"-{named}"
        if named and "{" not in named and endpoint.resource in {R.projects, R.users}
        else ""
    )
    return f"{endpoint.resource.value}-{endpoint.action.value}{batch}{step}"


def _refused_and_audited(session, response, caller) -> None:
    """A 403 of the permission table that left exactly one `access.denied` event, the
    caller's, kept although the request rolled back."""
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"
    session.info.pop(PRINCIPAL_KEY, None)  # the request left its principal bound
    denied = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied",
            AuditEvent.request_id == response.headers["x-request-id"],
        )
    ).all()
    assert [event.actor_id for event in denied] == [caller.id]


def _client_sees_drafts(role: Role, endpoint: Endpoint) -> bool:
    # Draft invoices are outside a client's scope by design; the client matrix uses issued ones.
    return not (role is Role.client and endpoint.invoice_status is IS.draft)


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_permission_table_decides_every_cell(client, session, auth, role, endpoint):
    world = make_company(
        session,
        request_status=endpoint.request_status,
        invoice_status=endpoint.invoice_status,
        project_status=endpoint.project_status,
    )
    caller = world.caller(session, role)
    response = client.request(
        endpoint.method, endpoint.url(world), json=endpoint.body(world, role), headers=auth(caller)
    )
    if not is_allowed(role, endpoint.resource, endpoint.action):
        _refused_and_audited(session, response, caller)
    elif _client_sees_drafts(role, endpoint):
        assert response.status_code in (200, 201, 204), response.text


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("resource", list(LISTS), ids=str)
def test_listing_follows_the_read_permission(client, session, auth, role, resource):
    caller = make_user(session, role)
    response = client.get(f"/api/v1{LISTS[resource]}", headers=auth(caller))
    if is_allowed(role, resource, Action.read):
        assert response.status_code == 200, response.text
    else:
        _refused_and_audited(session, response, caller)


# --- endpoints beyond the CRUD and workflow table ------------------------------------------

ANALYTICS = {name: kpi.resource for name, kpi in KPIS.items()}  # every KPI route
ANALYTICS_SECTIONS = (R.analytics_desk, R.analytics_finance, R.analytics_people)


def _any_analytics(role: Role) -> bool:
    return any(is_allowed(role, section, A.read) for section in ANALYTICS_SECTIONS)


@dataclass(frozen=True)
class Reader:
    """A GET whose permission is a predicate of the role (no body, no workflow state)."""

    path: str  # template as the app declares it, under /api/v1
    allowed: Any  # Callable[[Role], bool]
    sample: str = ""  # concrete path when the template has no record id of the world

    def url(self, world: Company) -> str:
        return "/api/v1" + (self.sample or self.path).format(
            project_id=world.project.id, request_id=world.request.id
        )


def _reads(resource: Resource, action: Action = A.read) -> Any:
    return lambda role: is_allowed(role, resource, action)


READERS = [
    Reader("/users/me", lambda role: True),
    Reader("/engineers", _reads(R.engineers)),
    Reader("/requests/{request_id}/approvals", _reads(R.requests)),
    Reader("/requests/export.csv", _reads(R.requests)),
    Reader("/invoices/export.csv", _reads(R.invoices)),
    Reader("/audit", _reads(R.audit)),
    Reader("/audit/export", _reads(R.audit, A.export)),
    Reader("/analytics/summary", _any_analytics),
    Reader("/analytics/summary.txt", _any_analytics),
    Reader("/analytics/projects/{project_id}.txt", _reads(R.analytics_desk)),
    Reader(
        "/analytics/charts/{name}.png",
        _reads(R.analytics_desk),
        sample="/analytics/charts/open-requests.png",
    ),
    *(Reader(f"/analytics/{name}", _reads(resource)) for name, resource in ANALYTICS.items()),
]
HISTORY = {
    "customers": (R.customers, "customer"),
    "projects": (R.projects, "project"),
    "project-costs": (R.project_costs, "cost"),
    "requests": (R.requests, "request"),
    "work-logs": (R.work_logs, "work_log"),
    "invoices": (R.invoices, "invoice"),
    "users": (R.users, "user"),
}


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("reader", READERS, ids=lambda reader: reader.path)
def test_every_reader_follows_the_permission_table(client, session, auth, role, reader):
    world = make_company(session)
    caller = world.caller(session, role)
    response = client.get(reader.url(world), headers=auth(caller))
    if reader.allowed(role):
        assert response.status_code == 200, response.text
    else:
        _refused_and_audited(session, response, caller)


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("entity", list(HISTORY), ids=str)
def test_history_follows_the_read_permission(client, session, auth, role, entity):
    world = make_company(session)
    resource, field = HISTORY[entity]
    record = world.engineer if field == "user" else getattr(world, field)
    caller = world.caller(session, role)
    response = client.get(f"/api/v1/{entity}/{record.id}/history", headers=auth(caller))
    if is_allowed(role, resource, A.read):
        assert response.status_code == 200, response.text
    else:
        _refused_and_audited(session, response, caller)


ATTACHMENT_CALLS = [
    ("POST", "/requests/{request_id}/attachments", A.create),
    ("GET", "/requests/{request_id}/attachments", A.read),
    ("GET", "/attachments/{attachment_id}", A.read),
    ("POST", "/attachments/{attachment_id}/links", A.read),
    ("DELETE", "/attachments/{attachment_id}", A.delete),
]


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize(("method", "path", "action"), ATTACHMENT_CALLS, ids=lambda v: str(v))
def test_attachment_routes_follow_the_permission_table(
    client, session, auth, role, method, path, action
):
    world = make_company(session)
    caller = world.caller(session, role)
    attachment = make_attachment(session, request_id=world.request.id, uploaded_by_id=caller.id)
    url = "/api/v1" + path.format(request_id=world.request.id, attachment_id=attachment.id)
    upload = {"files": {"file": ("a.png", png(), "image/png")}} if action is A.create else {}
    response = client.request(method, url, headers=auth(caller), **upload)
    if is_allowed(role, R.attachments, action):
        assert response.status_code in (200, 201, 204), response.text
    else:
        _refused_and_audited(session, response, caller)


@pytest.mark.parametrize("role", [Role.client, Role.engineer, Role.project_manager], ids=str)
@pytest.mark.parametrize(("method", "path", "action"), ATTACHMENT_CALLS, ids=lambda v: str(v))
def test_another_companys_attachment_is_404(client, session, auth, role, method, path, action):
    mine, theirs = make_company(session), make_company(session)
    caller = mine.caller(session, role)
    attachment = make_attachment(session, request_id=theirs.request.id, uploaded_by_id=caller.id)
    url = "/api/v1" + path.format(request_id=theirs.request.id, attachment_id=attachment.id)
    upload = {"files": {"file": ("a.png", png(), "image/png")}} if action is A.create else {}
    response = client.request(method, url, headers=auth(caller), **upload)
    assert response.status_code == 404, response.text


def test_update_own_profile_is_open_to_every_role(client, session, auth):
    for role in Role:
        caller = make_user(session, role)
        response = client.patch(
            "/api/v1/users/me", json={"full_name": "Renamed Me"}, headers=auth(caller)
        )
        assert response.status_code == 200, (role, response.text)


# --- out of scope: another company's records ----------------------------------------------

SCOPED_ROLES = [Role.client, Role.engineer, Role.project_manager]
RECORD_FIELDS = {
    "customer": Customer,
    "draft": Invoice,
    "project": Project,
    "cost": ProjectCost,
    "request": ServiceRequest,
    "work_log": WorkLog,
    "invoice": Invoice,
}


@dataclass(frozen=True)
class Probe:
    """A call that names one record of a scoped model in its path."""

    method: str
    path: str  # under /api/v1, with one {field} of Company
    field: str
    allowed: Any  # Callable[[Role], bool]
    body: Any = None  # Callable[[Company, Role], dict | None]

    def url(self, world: Company) -> str:
        return "/api/v1" + self.path.format(**{self.field: getattr(world, self.field).id})


def _endpoint_probe(endpoint: Endpoint) -> Probe:
    field = endpoint.path.split("{")[1].split("}")[0]
    return Probe(
        endpoint.method,
        endpoint.path,
        field,
        lambda role: is_allowed(role, endpoint.resource, endpoint.action),
        endpoint.body,
    )


PROBES = [
    *(_endpoint_probe(e) for e in ENDPOINTS if "{" in e.path and e.resource is not R.users),
    Probe("GET", "/requests/{request}/approvals", "request", _reads(R.requests)),
    Probe("GET", "/analytics/projects/{project}.txt", "project", _reads(R.analytics_desk)),
    *(
        Probe("GET", f"/{entity}/{{{field}}}/history", field, _reads(resource))
        for entity, (resource, field) in HISTORY.items()
        if field in RECORD_FIELDS
    ),
]


def _purge(session, world: Company) -> None:
    """Delete the other company's records, so the same ids become missing ones."""
    session.info.pop(PRINCIPAL_KEY, None)  # the last request left its principal bound
    for field in ("work_log", "cost", "draft", "invoice", "request", "project"):
        session.delete(session.get(RECORD_FIELDS[field], getattr(world, field).id))
        session.flush()
    session.delete(session.get(User, world.contact.id))
    session.flush()
    session.delete(session.get(Customer, world.customer.id))
    session.flush()


def _out_of_scope_events(session, entity_id: int) -> int:
    session.info.pop(PRINCIPAL_KEY, None)
    return len(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "access.out_of_scope", AuditEvent.entity_id == str(entity_id)
            )
        ).all()
    )


@pytest.mark.parametrize("role", SCOPED_ROLES, ids=str)
@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: f"{probe.method} {probe.path}")
def test_another_companys_record_is_404_like_a_missing_one(client, session, auth, role, probe):
    mine = make_company(session)
    theirs = make_company(session)
    caller = mine.caller(session, role)
    body = probe.body(mine, role) if probe.body else None
    target = getattr(theirs, probe.field).id

    hidden = client.request(probe.method, probe.url(theirs), json=body, headers=auth(caller))
    if not probe.allowed(role):
        _refused_and_audited(session, hidden, caller)
        return
    assert hidden.status_code == 404, hidden.text
    assert _out_of_scope_events(session, target) >= 1

    _purge(session, theirs)
    missing = client.request(probe.method, probe.url(theirs), json=body, headers=auth(caller))
    assert missing.status_code == 404
    assert hidden.content == missing.content


# --- the alert hub ------------------------------------------------------------------------

ALERT_CALLS = [
    (A.read, "GET", "/alerts", None),
    (A.read, "GET", "/alerts/stats", None),
    (A.read, "GET", "/alerts/oncall", None),
    (A.read, "GET", "/alerts/{alert_id}", None),
    (A.acknowledge, "POST", "/alerts/{alert_id}/ack", None),
    (A.silence, "POST", "/alerts/{alert_id}/silence", {"duration": "1h"}),
    (A.read, "GET", "/alerts/oncall/rotation", None),
    (A.update, "PUT", "/alerts/oncall/rotation", "rotation"),
    (A.update, "DELETE", "/alerts/oncall/rotation", "stored rotation"),
]


def _rotation_body(session, *, store: bool) -> dict[str, Any] | None:
    """A valid rotation (one reachable person); with `store`, stored first (for DELETE)."""
    person = make_user(session, Role.engineer, email=f"oncall{next(_unique)}@ops.test")
    body = {"people": [person.username], "first_handover": "2026-11-30T09:00", "shift_hours": 24}
    if not store:
        return body
    from oversight.alerts import rotation
    from oversight.alerts.schemas import RotationWrite
    from oversight.config import get_settings

    rotation.replace(session, settings=get_settings(), body=RotationWrite.model_validate(body))
    return None


INTAKE = "/api/v1/alerts/alertmanager"


@pytest.fixture(scope="module")
def silences_to(tmp_path_factory):
    """A real Alertmanager for the silence cells."""
    with start_alertmanager(
        tmp_path_factory.mktemp("am-matrix"),
        {"receivers": [{"name": "null"}], "route": {"receiver": "null"}},
    ) as am:
        yield am.url


@pytest.fixture
def alerts_client(client_for, settings, silences_to):
    alerts = AlertsSettings(intake_token=secrets.token_hex(16), alertmanager_url=silences_to)
    return client_for("matrix-alerts", settings.model_copy(update={"alerts": alerts}))


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize(("action", "method", "path", "body"), ALERT_CALLS, ids=lambda v: str(v))
def test_alert_hub_routes_follow_the_permission_table(
    alerts_client, session, auth, role, action, method, path, body
):
    alert = make_alert(session, "MatrixAlert", datetime.now(UTC), instance=f"m{next(_unique)}")
    caller = make_user(session, role)
    url = "/api/v1" + path.format(alert_id=alert.id)
    if isinstance(body, str):
        body = _rotation_body(session, store=body == "stored rotation")
    response = alerts_client.request(method, url, json=body, headers=auth(caller))
    if is_allowed(role, R.alerts, action):
        assert response.status_code in (200, 201), response.text
    else:
        _refused_and_audited(session, response, caller)


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_the_alertmanager_intake_takes_only_its_own_token_not_a_users(
    alerts_client, session, auth, role
):
    """Machine to machine: the intake is outside the permission table (on the public-route
    allowlist, with its own bearer token); no user's access token opens it, and its token
    opens nothing else."""
    response = alerts_client.post(
        INTAKE, json={"version": "4"}, headers=auth(make_user(session, role))
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    token = alerts_client.app.state.settings.alerts.intake_token.get_secret_value()
    other = alerts_client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 401


# --- the matrix covers the whole API ----------------------------------------------------------


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize(("method", "path", "body"), SELF_SERVICE, ids=lambda v: str(v))
def test_own_account_routes_are_open_to_every_role(client, session, auth, role, method, path, body):
    caller = make_user(session, role)
    response = client.request(method, "/api/v1" + path, json=body, headers=auth(caller))
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500, response.text


@PERMISSION_CELLS
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_verify_is_only_the_second_step_of_a_login(client, session, auth, role):
    """With a full token every role is refused: verify takes the "2FA pending" token only
    (its own flow is tested in test_two_factor)."""
    caller = make_user(session, role)
    response = client.post("/api/v1/auth/2fa/verify", json={"code": "000000"}, headers=auth(caller))
    assert "second step of a login" in response.json()["error"]["message"]
    _refused_and_audited(session, response, caller)


def test_the_matrix_covers_every_api_route(app):
    covered = {(e.method, "/api/v1" + _template(e.path)) for e in ENDPOINTS}
    covered |= {("GET", "/api/v1" + path) for path in LISTS.values()}
    covered |= {("GET", "/api/v1" + reader.path) for reader in READERS}
    covered |= {("GET", "/api/v1/{entity}/{entity_id}/history"), ("PATCH", "/api/v1/users/me")}
    covered |= {(method, "/api/v1" + path) for method, path, _ in SELF_SERVICE}
    covered |= {("POST", "/api/v1/auth/2fa/verify")}
    covered |= {(method, "/api/v1" + path) for _, method, path, _ in ALERT_CALLS}
    covered |= {(method, "/api/v1" + path) for method, path, _ in ATTACHMENT_CALLS}
    api = {
        route.key
        for route in routes_of(app)
        if route.path.startswith("/api/v1") and not is_public(route.method, route.path)
    }
    assert api - covered == set()


_TEMPLATE_NAMES = {
    "{customer}": "{customer_id}",
    "{project}": "{project_id}",
    "{cost}": "{cost_id}",
    "{request}": "{request_id}",
    "{work_log}": "{work_log_id}",
    "{invoice}": "{invoice_id}",
    "{user}": "{user_id}",
}


def _template(path: str) -> str:
    for ours, declared in _TEMPLATE_NAMES.items():
        path = path.replace(ours, declared)
    return path
