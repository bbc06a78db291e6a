"""Every router of the API, mounted under /api/v1: the API's table of contents."""

from __future__ import annotations

from fastapi import APIRouter, Depends

# Every model mapped before the routers are imported: the audit history routes are derived
# from the models' declared traits when oversight.audit.routes is imported.
import oversight.models  # noqa: F401
from oversight.alerts.routes import router as alerts_router
from oversight.analytics.routes import router as analytics_router
from oversight.audit.routes import history_router as audit_history_router
from oversight.audit.routes import router as audit_router
from oversight.auth.dependencies import get_limited_principal
from oversight.auth.routes import router as auth_router
from oversight.customers.routes import router as customers_router
from oversight.errors import ERROR_RESPONSES
from oversight.exports.routes import router as exports_router
from oversight.files.routes import router as files_router
from oversight.invoices.routes import router as invoices_router
from oversight.kit.guards import reject_nul_in_query, reject_unknown_query, require_json_body
from oversight.projects.routes import costs_router as project_costs_router
from oversight.projects.routes import router as projects_router
from oversight.service_requests.routes import router as requests_router
from oversight.service_requests.routes import work_logs_router
from oversight.telegram.routes import router as telegram_router
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
api_router.include_router(auth_router)  # public and 2FA routes: each route says what it needs

# Every other router answers signed-in callers only, and checks the token before any of its
# dependencies reads a parameter (a period's arithmetic, a page): an anonymous caller gets 401
# whatever the query says. The endpoints' own principal dependencies reuse this one's result.
_SIGNED_IN = [Depends(get_limited_principal)]
for router in (
    exports_router,  # before requests and invoices: `/requests/export.csv` is no `/{id}`
    users_router,
    engineers_router,
    customers_router,
    projects_router,
    project_costs_router,
    requests_router,
    work_logs_router,
    invoices_router,
    audit_router,
    audit_history_router,
    analytics_router,
):
    api_router.include_router(router, dependencies=_SIGNED_IN)
# The alert intake (Alertmanager's bearer token) and the bot's webhook (Telegram's secret
# header) are machine-to-machine: each route checks its own credential.
api_router.include_router(alerts_router)
api_router.include_router(telegram_router)

# Attachments take multipart bodies (uploads) and serve signed downloads: every guard of the
# API but the JSON-body one.
files_api_router = APIRouter(
    prefix=API_PREFIX,
    responses=ERROR_RESPONSES,
    dependencies=[Depends(reject_nul_in_query), Depends(reject_unknown_query)],
)
files_api_router.include_router(files_router)
