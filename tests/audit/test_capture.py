"""Change capture: every change to an audited record lands in the trail, in the same
transaction, field by field, with secrets and PII kept out."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from builders import PASSWORD, make_customer, make_project, make_request, make_user
from oversight.audit.capture import AuditBypassError
from oversight.audit.models import AuditEvent
from oversight.customers.models import Customer
from oversight.projects.models import Project
from oversight.service_requests.models import RequestStatus, ServiceRequest
from oversight.vocabulary import Role


def events(session, **filters) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in filters.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    return list(session.scalars(statement))


def changes(event: AuditEvent) -> dict:
    return json.loads(event.changes or "null")


def test_create_records_every_set_field(session):
    project = make_project(session, budget=Decimal("1234.50"))
    [created] = events(session, entity_type="project", entity_id=str(project.id))
    assert created.action == "project.create"
    assert changes(created)["budget"] == [None, "1234.50"]
    assert changes(created)["code"] == [None, project.code]


def test_update_records_only_changed_fields(session):
    project = make_project(session)
    project.name = "Renamed"
    project.budget = project.budget  # unchanged value: not recorded
    session.flush()
    update_event = events(session, entity_type="project", entity_id=str(project.id))[-1]
    assert update_event.action == "project.update"
    assert list(changes(update_event)) == ["name"]


def test_delete_records_the_last_state(session):
    customer = make_customer(session, name="Short Lived Ltd")
    session.delete(customer)
    session.flush()
    deleted = events(session, entity_type="customer", entity_id=str(customer.id))[-1]
    assert deleted.action == "customer.delete"
    assert changes(deleted)["name"] == ["Short Lived Ltd", None]


def test_rolled_back_change_leaves_no_event(session):
    before = len(events(session))
    savepoint = session.begin_nested()
    make_customer(session)
    savepoint.rollback()
    assert len(events(session)) == before


def test_password_hash_is_recorded_as_changed_without_values(session):
    user = make_user(session, Role.engineer)
    user.password_hash = "new-hash-value"
    session.flush()
    event = events(session, entity_type="user", entity_id=str(user.id))[-1]
    assert changes(event) == {"password_hash": {"changed": True}}
    assert "new-hash-value" not in (event.changes or "")


def test_encrypted_fields_enter_the_trail_as_changed_without_values(session):
    customer = make_customer(
        session,
        contact_person="Irina Volkova",
        phone="+7 916 555-12-34",
        email="irina@volkova.example",
    )
    created = events(session, entity_type="customer", entity_id=str(customer.id))[0]
    text = created.changes or ""
    for secret in ("Irina", "Volkova", "555-12", "irina@volkova.example"):
        assert secret not in text
    for sealed in (customer.phone_ct, customer.email_ct, customer.contact_person_ct):
        assert sealed is not None
        assert sealed.hex() not in text
    recorded = changes(created)
    assert recorded["contact_person"] == {"changed": True}
    assert recorded["phone"] == {"changed": True}
    assert not {"phone_ct", "phone_bidx", "email_bidx", "row_uid", "pii_key_id"} & set(recorded)


def test_only_the_encrypted_field_that_changed_is_recorded(session):
    customer = make_customer(session, phone="+7 916 555-12-34", email="a@b.example")
    customer.phone = "+7 916 555-00-00"
    customer.email = "a@b.example"  # same value: no new ciphertext, no entry
    session.flush()
    event = events(session, entity_type="customer", entity_id=str(customer.id))[-1]
    assert changes(event) == {"phone": {"changed": True}}


def test_user_contact_details_are_not_in_the_trail(session):
    user = make_user(session, Role.engineer, email="pavel@staff.example", phone="+7 999 123-45-67")
    user.email = "pavel.new@staff.example"
    session.flush()
    trail = " ".join(e.changes or "" for e in events(session, entity_type="user"))
    for secret in ("pavel", "123-45-67"):
        assert secret not in trail
    last = events(session, entity_type="user", entity_id=str(user.id))[-1]
    assert changes(last) == {"email": {"changed": True}}


def test_workflow_action_is_recorded_with_its_meaning(client, session, auth):
    contact = make_user(session, Role.client)
    request = make_request(
        session,
        customer_id=contact.customer_id,
        status=RequestStatus.awaiting_approval,
        sla_paused_at=None,
    )
    response = client.post(
        f"/api/v1/requests/{request.id}/reject",
        json={"comment": "Still leaking"},
        headers=auth(contact),
    )
    assert response.status_code == 200
    rejection = events(session, entity_type="service_request", entity_id=str(request.id))[-2:]
    actions = {event.action for event in rejection}
    assert "service_request.reject" in actions
    reject_event = next(e for e in rejection if e.action == "service_request.reject")
    assert reject_event.reason == "Still leaking"
    assert changes(reject_event)["status"] == ["awaiting_approval", "in_progress"]
    assert reject_event.actor_id == contact.id
    assert reject_event.actor_role == "client"


def test_role_change_is_its_own_action(client, session, auth):
    admin = make_user(session, Role.admin)
    target = make_user(session, Role.viewer)
    client.patch(f"/api/v1/users/{target.id}", json={"role": "accountant"}, headers=auth(admin))
    event = events(session, entity_type="user", entity_id=str(target.id))[-1]
    assert event.action == "user.role_changed"
    assert changes(event)["role"] == ["viewer", "accountant"]
    assert event.actor_id == admin.id


def test_invoice_payment_is_its_own_action(client, session, auth):
    from builders import make_invoice
    from oversight.invoices.models import InvoiceStatus

    accountant = make_user(session, Role.accountant)
    invoice = make_invoice(session, status=InvoiceStatus.issued)
    response = client.post(
        f"/api/v1/invoices/{invoice.id}/mark-paid",
        json={"paid_on": "2026-03-25"},
        headers=auth(accountant),
    )
    assert response.status_code == 200, response.text
    event = events(session, entity_type="invoice", entity_id=str(invoice.id))[-1]
    assert event.action == "invoice.paid"
    assert changes(event)["status"] == ["issued", "paid"]


def test_login_success_and_failure_are_recorded_without_the_password(client, session):
    user = make_user(session, Role.engineer)
    client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    client.post("/api/v1/auth/login", json={"username": user.username, "password": "guess-1234"})
    client.post("/api/v1/auth/login", json={"username": "nobody.here", "password": "guess-1234"})
    succeeded = events(session, action="auth.login_succeeded", actor_id=user.id)
    failed = events(session, action="auth.login_failed")
    assert len(succeeded) == 1
    assert [(e.actor_name, e.reason) for e in failed[-2:]] == [
        (user.username, "wrong password"),
        ("nobody.here", "unknown user"),
    ]
    assert all("guess-1234" not in (e.changes or "") for e in failed)


def test_permission_denied_is_recorded_even_though_the_request_failed(client, session, auth):
    engineer = make_user(session, Role.engineer)
    response = client.post("/api/v1/customers", json={"name": "X"}, headers=auth(engineer))
    assert response.status_code == 403
    [denied] = events(session, action="access.denied", actor_id=engineer.id)
    assert changes(denied) == {"action": "create", "resource": "customers"}


def test_bulk_update_of_an_audited_model_is_refused(session):
    make_project(session)
    with pytest.raises(AuditBypassError, match="bypass the audit trail"):
        session.execute(update(Project).values(name="Everything renamed"))


def test_bulk_delete_of_an_audited_model_is_refused(session):
    with pytest.raises(AuditBypassError, match="DELETE on customers"):
        session.execute(delete(Customer).where(Customer.name == "nobody"))


def test_changes_through_the_api_carry_the_actor(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post("/api/v1/customers", json={"name": "Actor Co"}, headers=auth(admin))
    [created] = events(session, entity_type="customer", entity_id=str(response.json()["id"]))
    assert (created.actor_type, created.actor_id, created.actor_role) == ("user", admin.id, "admin")


def test_the_request_row_count_is_untouched_by_capture(session):
    request = make_request(session)
    assert session.get(ServiceRequest, request.id) is request


def test_out_of_scope_access_is_recorded_but_a_missing_record_is_not(client, session, auth):
    manager = make_user(session, Role.project_manager)
    foreign = make_request(  # assigned on another manager's project: not in the inbox
        session,
        status=RequestStatus.assigned,
        assigned_engineer_id=make_user(session, Role.engineer).id,
    )
    hidden = client.get(f"/api/v1/requests/{foreign.id}", headers=auth(manager))
    missing = client.get("/api/v1/requests/987654321", headers=auth(manager))
    assert hidden.status_code == missing.status_code == 404
    probes = events(session, action="access.out_of_scope", actor_id=manager.id)
    assert [(e.entity_type, e.entity_id) for e in probes] == [("service_request", str(foreign.id))]
