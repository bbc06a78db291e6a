"""Alertmanager's webhook payload (version 4), and the hub's API shapes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from oversight.alerts.models import AlertStatus
from oversight.kit.schemas import InputSchema, OutputSchema

LabelName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LabelValue = Annotated[str, StringConstraints(max_length=4000)]
Labels = dict[LabelName, LabelValue]


class _Payload(BaseModel):
    # Alertmanager may add fields in later versions: ignore them, as its docs ask of receivers.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class WebhookAlert(_Payload):
    status: AlertStatus
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    starts_at: AwareDatetime = Field(alias="startsAt")
    ends_at: AwareDatetime | None = Field(default=None, alias="endsAt")
    generator_url: Annotated[str, StringConstraints(max_length=4000)] = Field(
        default="", alias="generatorURL"
    )
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,64}$")]


class WebhookPayload(_Payload):
    """https://prometheus.io/docs/alerting/latest/configuration/#webhook_config"""

    version: Literal["4"]
    group_key: str = Field(default="", alias="groupKey")
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts")
    status: AlertStatus
    receiver: str = ""
    alerts: Annotated[list[WebhookAlert], Field(max_length=10_000)]


class IntakeResult(BaseModel):
    """What one delivery changed: new alerts, resolutions, and repeats that changed nothing."""

    received: int
    new: int
    resolved: int
    unchanged: int


class AlertRead(OutputSchema):
    id: int
    fingerprint: str
    alertname: str
    severity: str
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    acknowledged_via: str | None
    escalation_level: int


SilenceLength = Literal["1h", "4h", "until_resolved"]
SILENCE_LENGTHS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "until_resolved": None,
}


class SilenceCreate(InputSchema):
    duration: SilenceLength


class SilenceRead(OutputSchema):
    id: int
    alert_id: int
    silence_id: str
    ends_at: datetime
    until_resolved: bool


class Goal(BaseModel):
    """A figure beside its goal: `met` when the figure is within it (None without data)."""

    value: float | None
    goal: float
    unit: str
    met: bool | None


class StatsRow(BaseModel):
    key: str  # the ISO week (2026-W49) or the alert name
    alerts: int
    mttr: Goal
    time_to_ack: Goal
    noise: Goal


class AdoptionRow(BaseModel):
    role: str
    people: int
    looked: int
    share: float | None
    goal: float
    met: bool | None


class AlertStats(BaseModel):
    since: datetime
    until: datetime
    overall: StatsRow
    by_week: list[StatsRow]
    by_alertname: list[StatsRow]
    adoption: list[AdoptionRow]
    adoption_source: list[str]  # the audit actions counted as KPI views


Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class StandInWrite(InputSchema):
    """`person` (a username) is on call over [starts_at, ends_at) whatever the turns say.
    Times without an offset are in the company's time zone."""

    person: Username
    starts_at: datetime
    ends_at: datetime


class RotationWrite(InputSchema):
    """The whole rotation: `people` (usernames) take turns of `shift_hours` in this order,
    the first turn starting at `first_handover` (without an offset: company time zone)."""

    people: Annotated[list[Username], Field(max_length=50)]
    first_handover: datetime
    shift_hours: Annotated[int, Field(ge=1, le=24 * 28, strict=True)] = 168
    stand_ins: Annotated[list[StandInWrite], Field(max_length=100)] = Field(default_factory=list)


class OnCallRead(BaseModel):
    """Who is on call (by name: their addresses stay private), who is next, until when."""

    name: str
    next: str | None
    until: datetime | None


class RotationPerson(BaseModel):
    """A person of the rotation and how the hub reaches them (whether, not where)."""

    username: str | None  # None: a person of the settings' rotation
    name: str
    telegram: bool
    email: bool


class StandInRead(BaseModel):
    person: RotationPerson
    starts_at: datetime
    ends_at: datetime


class RotationRead(BaseModel):
    """The rotation in force: `source` says whether it is the stored one (`api`), the
    settings' one (`settings`), or none at all (`none`)."""

    source: Literal["api", "settings", "none"]
    people: list[RotationPerson]
    first_handover: datetime | None
    shift_hours: int | None
    stand_ins: list[StandInRead]
    updated_at: datetime | None
    updated_by_id: int | None
    now: OnCallRead | None
