"""Every router of the API, mounted under /api/v1: the API's table of contents."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from oversight.analytics.routes import router as analytics_router
from oversight.audit.routes import history_router as audit_history_router
from oversight.audit.routes import router as audit_router
from oversight.auth.routes import router as auth_router
from oversight.customers.routes import router as customers_router
from oversight.errors import ERROR_RESPONSES
from oversight.invoices.routes import router as invoices_router
from oversight.kit.guards import reject_nul_in_query, reject_unknown_query, require_json_body
from oversight.projects.routes import costs_router as project_costs_router
from oversight.projects.routes import router as projects_router
from oversight.service_requests.routes import router as requests_router
from oversight.service_requests.routes import work_logs_router
from oversight.users.routes import engineers_router
from oversight.users.routes import router as users_router

API_PREFIX = "/api/v1"

api_router = APIRouter(
    prefix=API_PREFIX,
    responses=ERROR_RESPONSES,
    dependencies=[
        Depends(reject_nul_in_query),
        Depends(reject_unknown_query),
        Depends(require_json_body),
    ],
)
api_router.include_router(auth_router)
api_router.include_router(users_router)
api_router.include_router(engineers_router)
api_router.include_router(customers_router)
api_router.include_router(projects_router)
api_router.include_router(project_costs_router)
api_router.include_router(requests_router)
api_router.include_router(work_logs_router)
api_router.include_router(invoices_router)
api_router.include_router(audit_router)
api_router.include_router(audit_history_router)
api_router.include_router(analytics_router)
