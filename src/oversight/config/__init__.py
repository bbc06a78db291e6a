"""The one Settings object: every setting of Oversight, read from `OVERSIGHT_*` and `.env`.

Groups nest with a double underscore:
`OVERSIGHT_DATABASE__URL`, `OVERSIGHT_SLA__HIGH__RESOLUTION_HOURS`.

Import from here (`from oversight.config import Settings, get_settings`); the modules hold
one capability each:

- `local`: the development run's generated secrets, kept in the local state directory
- `settings`: the top-level `Settings` that assembles the groups, the production checks,
  loading (`load_settings`, `get_settings`), error messages and `masked_settings`
- `base`: the `_Group` base and types several groups share (`Networks`, Redis URLs)
- `database`, `auth`, `company` (calendar and SLA targets), `edge` (API and rate limits),
  `desk` (dispatcher roles), `encryption`, `files` (attachments), `observability` (logs,
  metrics, Sentry), `analytics`, `operations` (scheduler and audit archive), `backup`,
  `archives` (log and audit archives), `storage_monitor`, `storage`, `alerts` (the alert
  hub), `telegram` (the bot): one module per group or few related groups
- `cli`: what every `oversight` command does with its settings and user errors
  (`settings_or_exit`, `fail`; import it as `oversight.config.cli`)
"""

from oversight.config.alerts import AlertsSettings, Contact, OnCallSettings, Target
from oversight.config.analytics import AnalyticsSettings
from oversight.config.archives import ArchivesSettings
from oversight.config.auth import LEGACY_KEY_ID, AuthSettings
from oversight.config.backup import BackupSettings
from oversight.config.base import Networks
from oversight.config.company import CompanySettings, SlaSettings, SlaTarget
from oversight.config.database import DatabaseSettings
from oversight.config.desk import DeskSettings
from oversight.config.edge import (
    DEFAULT_ADMIN_PATHS,
    DEFAULT_RATE_RULES,
    ApiSettings,
    Limits,
    RateLimitSettings,
    RateRule,
)
from oversight.config.encryption import EncryptionSettings
from oversight.config.files import FilesSettings
from oversight.config.observability import LogFormat, ObservabilitySettings, SentrySettings
from oversight.config.operations import AuditSettings, JobsSettings
from oversight.config.settings import (
    Environment,
    Settings,
    SettingsError,
    describe_validation_error,
    get_settings,
    load_settings,
    masked_settings,
)
from oversight.config.storage_monitor import MonitoredPath, StorageMonitorSettings
from oversight.config.telegram import BotLanguage, BotMode, TelegramSettings

__all__ = [
    "DEFAULT_ADMIN_PATHS",
    "DEFAULT_RATE_RULES",
    "LEGACY_KEY_ID",
    "AlertsSettings",
    "AnalyticsSettings",
    "ApiSettings",
    "ArchivesSettings",
    "AuditSettings",
    "AuthSettings",
    "BackupSettings",
    "BotLanguage",
    "BotMode",
    "CompanySettings",
    "Contact",
    "DatabaseSettings",
    "DeskSettings",
    "EncryptionSettings",
    "Environment",
    "FilesSettings",
    "JobsSettings",
    "Limits",
    "LogFormat",
    "MonitoredPath",
    "Networks",
    "ObservabilitySettings",
    "OnCallSettings",
    "RateLimitSettings",
    "RateRule",
    "SentrySettings",
    "Settings",
    "SettingsError",
    "SlaSettings",
    "SlaTarget",
    "StorageMonitorSettings",
    "Target",
    "TelegramSettings",
    "describe_validation_error",
    "get_settings",
    "load_settings",
    "masked_settings",
]
