"""The alert hub: intake token, routing, channels, on-call rotation: `OVERSIGHT_ALERTS__*`.

Nested groups: `OVERSIGHT_ALERTS__TELEGRAM__BOT_TOKEN`, `OVERSIGHT_ALERTS__SMTP__HOST`,
`OVERSIGHT_ALERTS__ONCALL__PEOPLE='[{"name": "Ann", "telegram_chat_id": 1, ...}]'`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, _Group
from oversight.vocabulary import Role

HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s]+$")]


class Target(enum.StrEnum):
    """Who a routed alert goes to."""

    oncall = "oncall"  # the person on call now
    oncall_chat = "oncall_chat"  # the on-call team's chat
    quiet_chat = "quiet_chat"  # a low-traffic chat, one message per alert
    digest = "digest"  # held for the daily digest (sent to the quiet chat)
    admin = "admin"


class Contact(_Group):
    """Where one person or chat is reached; any of the three may be missing."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    telegram_chat_id: int | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    whatsapp: Annotated[str, Field(pattern=r"^\+?[0-9]{6,16}$")] | None = None


class Shift(_Group):
    """An explicit hand-over: `name` (one of the people) is on call from `starts_at`."""

    name: str
    starts_at: datetime

    @field_validator("starts_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("starts_at needs a time zone offset (e.g. 2026-12-07T09:00+03:00)")
        return value


class OnCallSettings(_Group):
    """The rotation. Explicit `shifts` win when one has started; otherwise the people take a
    week each, in order, handing over on `handover_weekday` (1 = Monday) at `handover_time`
    (company time zone), the first week being the one containing `rotation_start`."""

    people: tuple[Contact, ...] = ()
    shifts: tuple[Shift, ...] = ()
    rotation_start: date = date(2026, 1, 5)
    handover_weekday: Annotated[int, Field(ge=1, le=7)] = 1
    handover_time: time = time(9, 0)

    @model_validator(mode="after")
    def _shifts_name_people(self) -> Self:
        names = {person.name for person in self.people}
        if len(names) != len(self.people):
            raise ValueError("people: names must be unique")
        for shift in self.shifts:
            if shift.name not in names:
                raise ValueError(f"shifts: {shift.name!r} is not one of the people")
        return self


class SeverityRoute(_Group):
    """Targets of one severity; `email_too` also e-mails them besides Telegram."""

    targets: tuple[Target, ...]
    email_too: bool = False


def _default_routes() -> dict[str, SeverityRoute]:
    return {
        "critical": SeverityRoute(targets=(Target.oncall, Target.oncall_chat), email_too=True),
        "warning": SeverityRoute(targets=(Target.oncall_chat,)),
        "info": SeverityRoute(targets=(Target.digest,)),
    }


class TelegramChannel(_Group):
    api_base_url: HttpUrl = "https://api.telegram.org"
    bot_token: SecretStr | None = None
    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    backoff_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0  # doubles each retry
    # A 429 answer's `parameters.retry_after` replaces the backoff before the next try, up to
    # this many seconds (a longer wait is cut to it: the chain moves on rather than stall).
    max_retry_after_seconds: Annotated[float, Field(ge=0, le=600)] = 30.0
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0


class RetrySettings(_Group):
    """Notifications whose whole chain failed, sent again by the `alerts_retry` job: the
    first retry after `first_minutes`, each later one after twice the previous wait (at most
    `max_wait_minutes`), while the alert fires unacknowledged and for at most `max_age_hours`
    after the notification was queued. Only the `severities` listed are retried."""

    first_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 2.0
    max_wait_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 60.0
    max_age_hours: Annotated[float, Field(gt=0, le=24 * 14)] = 24.0
    severities: Annotated[frozenset[str], NoDecode, LIST_FROM_TEXT] = frozenset(
        {"critical", "warning"}
    )
    every_minutes: Annotated[int, Field(ge=1, le=60)] = 1  # how often the job runs


class SmtpChannel(_Group):
    host: str | None = None  # None: no e-mail
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "oversight-alerts@localhost"
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0


class WhatsAppChannel(_Group):
    url: HttpUrl | None = None  # the proxy's webhook; None: no WhatsApp
    token: SecretStr | None = None  # sent as a bearer token
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0


class AlertsSettings(_Group):
    """The alert hub. Without `intake_token` the Alertmanager endpoint refuses every call."""

    intake_token: SecretStr | None = None
    alertmanager_url: HttpUrl = "http://127.0.0.1:9093"  # for silences (API v2)
    routes: dict[str, SeverityRoute] = Field(default_factory=_default_routes)
    unknown_severity: str = "warning"  # route of an alert without a known severity
    oncall_chat: Contact | None = None
    quiet_chat: Contact | None = None
    admin: Contact | None = None
    oncall: OnCallSettings = OnCallSettings()
    telegram: TelegramChannel = TelegramChannel()
    smtp: SmtpChannel = SmtpChannel()
    whatsapp: WhatsAppChannel = WhatsAppChannel()
    retry: RetrySettings = RetrySettings()
    deliver_in_background: bool = True  # after the intake's commit; the job catches up too
    ack_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    button_window_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 48.0
    digest_cron: str = "0 9 * * *"
    noise_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 5
    flap_window_hours: Annotated[float, Field(gt=0, le=24 * 7)] = 1.0
    adoption_roles: Annotated[frozenset[Role], NoDecode, LIST_FROM_TEXT] = frozenset(
        {Role.director, Role.admin, Role.accountant, Role.project_manager}
    )
    adoption_actions: Annotated[frozenset[str], NoDecode, LIST_FROM_TEXT] = frozenset(
        {"analytics.viewed"}
    )
    stats_ttl_seconds: Annotated[float, Field(ge=0, le=3600)] = 60.0

    @field_validator("intake_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 24:
            raise ValueError("must be at least 24 characters (e.g. `openssl rand -hex 24`)")
        return value

    @model_validator(mode="after")
    def _routes_complete(self) -> Self:
        if self.unknown_severity not in self.routes:
            raise ValueError(f"unknown_severity: {self.unknown_severity!r} has no route")
        return self
