"""Every router of the API, mounted under /api/v1: the API's table of contents."""

from __future__ import annotations

from fastapi import APIRouter

from oversight.auth.routes import router as auth_router
from oversight.customers.routes import router as customers_router
from oversight.users.routes import router as users_router

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(auth_router)
api_router.include_router(users_router)
api_router.include_router(customers_router)
