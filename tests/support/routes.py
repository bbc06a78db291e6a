"""Walking the app's routes: every (method, path template) with its dependency tree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from oversight.auth.dependencies import get_current_principal, get_two_factor_caller


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    dependant: Any  # fastapi.dependencies.models.Dependant, or None for plain Starlette routes

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def routes_of(app: FastAPI) -> Iterator[RouteInfo]:
    """Every route of `app` once per method, with the full path (router prefixes included)."""
    for context in iter_route_contexts(app.routes):
        for method in sorted(context.methods or ()):
            yield RouteInfo(method, str(context.path), getattr(context, "dependant", None))


def requires_principal(dependant: Any) -> bool:
    """True if an authenticating dependency is anywhere in the dependency tree: the signed-in
    principal, or the 2FA caller (a full token, or the "2FA pending" token from login)."""
    if dependant is None:
        return False
    if dependant.call in (get_current_principal, get_two_factor_caller):
        return True
    return any(requires_principal(sub) for sub in dependant.dependencies)


def sample_url(path: str) -> str:
    """A concrete URL for a path template: ids 1, the first history entity and chart."""
    return (
        path.replace("{entity}", "customers")
        .replace("{name}", "open-requests")
        .replace("{", "")
        .replace("}", "")
        .replace("customer_id", "1")
        .replace("project_id", "1")
        .replace("cost_id", "1")
        .replace("request_id", "1")
        .replace("work_log_id", "1")
        .replace("invoice_id", "1")
        .replace("user_id", "1")
        .replace("entity_id", "1")
        .replace("alert_id", "1")
        .replace("attachment_id", "1")
    )
