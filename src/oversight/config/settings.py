"""The top-level `Settings`: the groups assembled, the production checks, loading and masking."""

from __future__ import annotations

import enum
import functools
import json
import os
import re
import typing
from pathlib import Path
from typing import Any, Self

import pydantic_settings
from pydantic import BaseModel, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from oversight.config.alerts import AlertsSettings, TelegramChannel
from oversight.config.analytics import AnalyticsSettings
from oversight.config.archives import ArchivesSettings
from oversight.config.auth import AuthSettings
from oversight.config.backup import BackupSettings
from oversight.config.company import CompanySettings, SlaSettings
from oversight.config.database import DatabaseSettings
from oversight.config.desk import DeskSettings
from oversight.config.edge import ApiSettings, RateLimitSettings
from oversight.config.encryption import EncryptionSettings
from oversight.config.files import FilesSettings
from oversight.config.local import (
    DEFAULT_STATE_DIR,
    FIELD_KEY_FILE,
    JWT_FILE,
    LOCAL_KEY_ID,
    with_local_secrets,
)
from oversight.config.observability import ObservabilitySettings, SentrySettings
from oversight.config.operations import AuditSettings, JobsSettings
from oversight.config.storage_monitor import StorageMonitorSettings
from oversight.config.telegram import TelegramSettings


class Environment(enum.StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OVERSIGHT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    env: Environment = Environment.development
    # Production runs on PostgreSQL; SQLite there is a decision, taken with this flag.
    allow_sqlite_in_production: bool = False
    state_dir: Path = DEFAULT_STATE_DIR
    """Where a development run keeps what it generates (its signing and field keys)."""
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    company: CompanySettings = CompanySettings()
    desk: DeskSettings = DeskSettings()
    sla: SlaSettings = SlaSettings.model_validate({})
    api: ApiSettings = ApiSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    sentry: SentrySettings = SentrySettings()
    jobs: JobsSettings = JobsSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    audit: AuditSettings = AuditSettings()
    encryption: EncryptionSettings = EncryptionSettings()
    ratelimit: RateLimitSettings = RateLimitSettings.model_validate({})
    backup: BackupSettings = BackupSettings()
    archives: ArchivesSettings = ArchivesSettings()
    storage_monitor: StorageMonitorSettings = StorageMonitorSettings()
    alerts: AlertsSettings = AlertsSettings()
    telegram: TelegramSettings = TelegramSettings()
    files: FilesSettings = FilesSettings()

    @property
    def alert_telegram(self) -> TelegramChannel:
        """The hub's Telegram channel: its own token and Bot API URL where set
        (OVERSIGHT_ALERTS__TELEGRAM__BOT_TOKEN / __API_BASE_URL), else the bot's
        (OVERSIGHT_TELEGRAM__BOT_TOKEN / __API_BASE_URL) — one bot, its token set once."""
        channel = self.alerts.telegram
        update: dict[str, object] = {}
        if channel.bot_token is None and self.telegram.bot_token is not None:
            update["bot_token"] = self.telegram.bot_token
        if "api_base_url" not in channel.model_fields_set:
            update["api_base_url"] = self.telegram.api_base_url
        return channel.model_copy(update=update) if update else channel

    @property
    def docs_enabled(self) -> bool:
        """`/docs` and `/openapi.json`: as set, else on except in production."""
        if self.api.docs_enabled is not None:
            return self.api.docs_enabled
        return self.env is not Environment.production

    @property
    def rate_limit_redis_url(self) -> str | None:
        """Where rate limits are counted: their own Redis, else the analytics one, else None
        (this process's memory)."""
        url = self.ratelimit.redis_url or self.analytics.redis_url
        return url.get_secret_value() if url is not None else None

    @model_validator(mode="before")
    @classmethod
    def _local_secrets(cls, data: Any) -> Any:
        """Outside production, keys nobody configured are generated into `state_dir`."""
        return with_local_secrets(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _backups_follow_the_files(self) -> Self:
        """Backups take the attachments' hot folder unless told another folder."""
        if "files_dir" not in self.backup.model_fields_set:
            backup = self.backup.model_copy(update={"files_dir": self.files.hot_dir})
            object.__setattr__(self, "backup", backup)  # a frozen model, set once here
        return self

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Self:
        if self.env is Environment.production and not (self.auth.jwt_keys or self.auth.jwt_secret):
            raise ValueError(
                "auth.jwt_secret: production needs its own signing key; "
                "set OVERSIGHT_AUTH__JWT_SECRET (or OVERSIGHT_AUTH__JWT_KEYS)"
            )
        observability = self.observability
        if (
            self.env is Environment.production
            and observability.metrics_enabled
            and observability.metrics_token is None
            and not observability.metrics_allow
        ):
            raise ValueError(
                "observability: production serves /metrics only behind a token or an IP "
                "allowlist; set OVERSIGHT_OBSERVABILITY__METRICS_TOKEN or "
                "OVERSIGHT_OBSERVABILITY__METRICS_ALLOW (or turn metrics off)"
            )
        if self.env is Environment.production and not self.encryption.configured:
            raise ValueError(
                "encryption: production needs its own field encryption key; "
                "set OVERSIGHT_ENCRYPTION__KEYS or OVERSIGHT_ENCRYPTION__KEY_FILE "
                "(`oversight keys generate` makes one)"
            )
        return self

    @model_validator(mode="after")
    def _no_sqlite_in_production(self) -> Self:
        if (
            self.env is Environment.production
            and make_url(self.database.url).get_backend_name() == "sqlite"
            and not self.allow_sqlite_in_production
        ):
            raise ValueError(
                "database.url: SQLite is refused in production (one file, one writer at a "
                "time); use PostgreSQL, or set OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION=true on purpose"
            )
        return self


class SettingsError(Exception):
    """A setting is invalid; the message is one line naming the setting."""


_SECRET_SETTINGS = frozenset(
    {"jwt_secret", "keys", "metrics_token", "dsn", "redis_url", "intake_token", "bot_token"}
    | {"password", "token", "webhook_secret"}
)


_NAMED_FIELD = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*): ")


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the setting as its environment variable."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"] if not str(part).isdigit()]
        message = problem["msg"].removeprefix("Value error, ")
        # A check across a group's fields names the one to change: "field: reason" (or
        # "group.field: reason" from the top level) completes the variable's name.
        named = _NAMED_FIELD.match(message)
        if named:
            location += named.group(1).split(".")
            message = message[named.end() :]
        name = "OVERSIGHT_" + "__".join(location).upper() if location else "settings"
        given = problem.get("input")
        secret = bool(location) and location[-1] in _SECRET_SETTINGS
        if isinstance(given, str | int | float) and problem["type"] != "missing" and not secret:
            message += f" (got {given!r})"
        lines.append(f"invalid setting {name}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; raise SettingsError naming every bad one."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
    except pydantic_settings.SettingsError as error:
        raise SettingsError(_describe_undecodable(error)) from None


def _describe_undecodable(error: pydantic_settings.SettingsError) -> str:
    """pydantic-settings could not decode a JSON setting: name the variable(s) that hold it.

    Its own message names only the group ('error parsing value for field "auth"'); the
    variables of that group holding a mapping or a nested group are what it tried to decode.
    """
    match = re.search(r'field "([a-z_]+)"', str(error))
    group = match.group(1) if match else ""
    prefix = f"OVERSIGHT_{group.upper()}__"
    model = Settings.model_fields[group].annotation if group in Settings.model_fields else None
    complex_fields = {
        name
        for name, field in getattr(model, "model_fields", {}).items()
        if typing.get_origin(field.annotation) is dict
        or (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel))
    }
    names = sorted(
        name
        for name, value in os.environ.items()
        if name.upper().startswith(prefix)
        and name[len(prefix) :].split("__")[0].lower() in complex_fields
        and not _is_json(value)
    )
    if not names:
        return f"invalid setting OVERSIGHT_{group.upper()}: not valid JSON"
    return "\n".join(f"invalid setting {name.upper()}: not valid JSON" for name in names)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets replaced by '********'."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    if data["auth"]["jwt_secret"] is not None:
        data["auth"]["jwt_secret"] = "********"  # noqa: S105 - the mask itself
    data["auth"]["jwt_keys"] = dict.fromkeys(data["auth"]["jwt_keys"], "********")
    for group, key in (
        ("observability", "metrics_token"),
        ("sentry", "dsn"),
        ("encryption", "keys"),
        ("analytics", "redis_url"),
        ("ratelimit", "redis_url"),
        ("telegram", "bot_token"),
        ("telegram", "webhook_secret"),
    ):
        if data[group][key] is not None:
            data[group][key] = "********"
    alerts = data["alerts"]
    for group, key in (
        (alerts, "intake_token"),
        (alerts["telegram"], "bot_token"),
        (alerts["smtp"], "password"),
        (alerts["whatsapp"], "token"),
    ):
        if group[key] is not None:
            group[key] = "********"
    url = make_url(settings.database.url)
    if url.password:
        data["database"]["url"] = url.render_as_string(hide_password=True)
    return {"effective": _effective(settings), **data}


def _effective(settings: Settings) -> dict[str, str]:
    """What the settings amount to where a value alone would say null or nothing: where the
    keys come from, whether the docs are served, where limits and the KPI cache are kept."""
    secrets_dir = settings.state_dir / "secrets"
    generated = (
        LOCAL_KEY_ID in settings.auth.jwt_keys and settings.env is not Environment.production
    )
    observability = settings.observability
    if observability.metrics_token is not None:
        metrics = "token required" + (
            ", or an allowed address" if observability.metrics_allow else ""
        )
    elif observability.metrics_allow:
        metrics = "allowed addresses only: " + ", ".join(observability.metrics_allow)
    else:
        metrics = "loopback only"
    return {
        "jwt_signing": (
            f"development key generated in {secrets_dir / JWT_FILE}"
            if generated
            else f"configured keys: {', '.join(settings.auth.signing_keys)}"
        ),
        "field_encryption": (
            f"development key generated in {secrets_dir / FIELD_KEY_FILE}"
            if settings.encryption.active_key_id in (None, LOCAL_KEY_ID)
            and settings.encryption.keyring.key_ids == (LOCAL_KEY_ID,)
            else f"configured keys: {', '.join(settings.encryption.keyring.key_ids)}"
        ),
        "docs": "enabled at /docs" if settings.docs_enabled else "disabled",
        "rate_limits": (
            "counted in Redis" if settings.rate_limit_redis_url else "counted in this process"
        )
        if settings.ratelimit.enabled
        else "off",
        "kpi_cache": "Redis" if settings.analytics.redis_url else "in this process",
        "metrics": metrics,
    }
