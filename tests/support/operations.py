"""The API's operations as its OpenAPI document declares them, and a valid body for each."""

from __future__ import annotations

from typing import Any

from companies import Company

API = "/api/v1"


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the document."""
    return [
        (method.upper(), path, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def body_schema(openapi: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of the operation's body, references resolved one level."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    for option in schema.get("anyOf", [schema]):
        if "$ref" in option:
            return dict(openapi["components"]["schemas"][option["$ref"].split("/")[-1]])
    return dict(schema)


def valid_bodies(company: Company, n: int) -> dict[tuple[str, str], dict[str, Any]]:
    """A body each body-taking operation accepts from an administrator (state aside)."""
    return {
        ("POST", "/auth/login"): {"username": "nobody", "password": "nothing at all"},
        ("POST", "/auth/refresh"): {"refresh_token": "x" * 43},
        ("POST", "/auth/logout"): {"refresh_token": "x" * 43},
        ("POST", "/auth/password"): {
            "current_password": "not the password",
            "new_password": "another long passphrase 7",
        },
        ("POST", "/auth/2fa/enrolment"): {},
        ("POST", "/auth/2fa/enrolment/confirm"): {"code": "123456"},
        ("POST", "/auth/2fa/verify"): {"code": "123456"},
        ("PATCH", "/users/me"): {"full_name": "Me Again"},
        ("POST", "/users"): {
            "username": f"attack.user{n}",
            "full_name": "Attack User",
            "password": "a long enough password",
            "role": "viewer",
        },
        ("PATCH", "/users/{user_id}"): {"full_name": "Renamed"},
        ("POST", "/users/{user_id}/password"): {
            "temporary_password": "a long temporary password 9"
        },
        ("POST", "/customers"): {"name": f"Attack Customer {n}"},
        ("PATCH", "/customers/{customer_id}"): {"address": "2 Other Street"},
        ("POST", "/projects"): {
            "name": f"Attack Project {n}",
            "customer_id": company.customer.id,
            "budget": "100.00",
            "start_date": "2026-01-01",
        },
        ("PATCH", "/projects/{project_id}"): {"name": "Renamed project"},
        ("POST", "/project-costs"): {
            "project_id": company.project.id,
            "incurred_on": "2026-02-02",
            "category": "travel",
            "description": "Fuel",
            "amount": "10.00",
        },
        ("PATCH", "/project-costs/{cost_id}"): {"description": "Fuel and tolls"},
        ("POST", "/requests"): {"title": "Attack request", "project_id": company.project.id},
        ("PATCH", "/requests/{request_id}"): {"title": "Attack request, renamed"},
        ("POST", "/requests/{request_id}/assign"): {"engineer_id": company.engineer.id},
        ("POST", "/alerts/{alert_id}/silence"): {"duration": "1h"},
        ("PUT", "/alerts/oncall/rotation"): {
            "people": [company.manager.username],
            "first_handover": "2026-11-30T09:00",
            "shift_hours": 168,
        },
        ("POST", "/requests/assign"): {
            "request_ids": [company.request.id],
            "engineer_id": company.engineer.id,
        },
        ("POST", "/requests/{request_id}/approve"): {"comment": "Fine"},
        ("POST", "/requests/{request_id}/reject"): {"comment": "Not fixed"},
        ("POST", "/work-logs"): {
            "request_id": company.request.id,
            "work_date": "2026-03-03",
            "hours": "1.00",
            "engineer_id": company.engineer.id,
        },
        ("PATCH", "/work-logs/{work_log_id}"): {"hours": "2.00"},
        ("POST", "/invoices"): {"customer_id": company.customer.id, "amount": "10.00"},
        ("PATCH", "/invoices/{invoice_id}"): {"description": "Corrected"},
        ("POST", "/invoices/{invoice_id}/issue"): {"issued_on": "2026-03-01"},
        ("POST", "/invoices/{invoice_id}/mark-paid"): {"paid_on": "2026-03-02"},
        ("POST", "/invoices/{invoice_id}/cancel"): {"reason": "Duplicate"},
    }


def url_for(path: str, company: Company) -> str:
    """A concrete URL under the API prefix for one of the company's records."""
    return API + path.format(
        user_id=company.engineer.id,
        customer_id=company.customer.id,
        project_id=company.project.id,
        cost_id=company.cost.id,
        request_id=company.request.id,
        work_log_id=company.work_log.id,
        invoice_id=company.draft.id,
        alert_id=1,  # no alert exists: the body is refused before the record is looked up
    )
