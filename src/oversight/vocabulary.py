"""Names shared by the settings and the domain: roles and request priorities."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    admin = "admin"
    director = "director"
    accountant = "accountant"
    project_manager = "project_manager"
    engineer = "engineer"
    client = "client"
    viewer = "viewer"


class Priority(enum.StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
