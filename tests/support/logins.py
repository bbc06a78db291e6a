"""Logging in for real through the API: password, 2FA enrolment and verification, refresh.

Codes come from the stored secret; a `StepClock` moves the 2FA service's clock a step at a
time, so a test can verify several codes without waiting 30 seconds for each.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from builders import PASSWORD
from oversight.audit.models import AuditEvent
from oversight.auth import two_factor
from oversight.auth.models import User, UserTotp
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.security import totp

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ENROL = "/api/v1/auth/2fa/enrolment"
CONFIRM = "/api/v1/auth/2fa/enrolment/confirm"
VERIFY = "/api/v1/auth/2fa/verify"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, username: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post(LOGIN, json={"username": username, "password": password}, **kwargs)


@dataclass
class StepClock:
    """The 2FA service's clock, moved on by whole TOTP steps."""

    now: datetime = field(default_factory=utcnow)

    def advance(self, steps: int = 1) -> datetime:
        self.now += timedelta(seconds=totp.STEP_SECONDS * steps)
        return self.now

    def install(self, monkeypatch: pytest.MonkeyPatch) -> StepClock:
        monkeypatch.setattr(two_factor, "utcnow", lambda: self.now)
        return self


@dataclass
class Enrolled:
    secret: str
    recovery_codes: list[str]
    access_token: str
    refresh_token: str


@dataclass
class TwoFactor:
    """Reads the stored secrets (with the test key) and enrols users through the API."""

    session: Session
    settings: Settings
    clock: StepClock

    def secret(self, user_id: int) -> str:
        self.session.expire_all()
        record = self.session.get(UserTotp, user_id)
        assert record is not None
        return two_factor.open_secret(record)

    def code(self, user_id: int, *, steps_ahead: int = 0) -> str:
        when = self.clock.now + timedelta(seconds=totp.STEP_SECONDS * steps_ahead)
        return totp.code_at(self.secret(user_id), when)

    def enrol(self, client: TestClient, user: User) -> Enrolled:
        """Log `user` in, enrol with the pending token, confirm a code: a 2FA session."""
        pending = login(client, user.username).json()["pending_token"]
        started = client.post(ENROL, headers=bearer(pending))
        assert started.status_code == 201, started.text
        confirmed = client.post(CONFIRM, json={"code": self.code(user.id)}, headers=bearer(pending))
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        self.clock.advance()
        return Enrolled(
            secret=self.secret(user.id),
            recovery_codes=body["recovery_codes"],
            access_token=body["session"]["access_token"],
            refresh_token=body["session"]["refresh_token"],
        )


def events(session: Session, action: str, **filters: Any) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    for name, value in filters.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    session.expire_all()
    return list(session.scalars(statement))


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A JWT's header and claims, read without checking anything (to craft variants)."""
    header, payload, _ = token.split(".")
    return _json(header), _json(payload)


def _json(part: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data
