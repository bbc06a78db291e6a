"""The alert hub's test helpers: its local servers bundled, settings that point the hub at
them, a real Alertmanager, and Alertmanager payload builders."""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import servers
from alert_fakes import FakeBotApi, Mailbox, RecordingServer
from oversight.config import AlertsSettings, Settings

ONCALL_PEOPLE = [
    {
        "name": "Anna",
        "telegram_chat_id": 1001,
        "email": "anna@ops.test",
        "whatsapp": "+70000000001",
    },
    {
        "name": "Boris",
        "telegram_chat_id": 1002,
        "email": "boris@ops.test",
        "whatsapp": "+70000000002",
    },
    {"name": "Vera", "telegram_chat_id": 1003, "email": "vera@ops.test"},
]


# Generated per test run, shared by the run's tests so they share one app per settings.
INTAKE_TOKEN = secrets.token_hex(16)
BOT_TOKEN = f"1:{secrets.token_hex(8)}"
PROXY_TOKEN = secrets.token_hex(8)


class Fakes:
    def __init__(self, bot: FakeBotApi, whatsapp: RecordingServer, mailbox: Mailbox) -> None:
        self.bot = bot
        self.whatsapp = whatsapp
        self.mailbox = mailbox

    def reset(self) -> None:
        for server in (self.bot, self.whatsapp):
            server.calls.clear()
            server.failures = 0
            server.down = False
        self.bot.retry_afters.clear()
        self.mailbox.messages.clear()
        self.mailbox.recipients.clear()
        self.mailbox.refuse = False


def hub_settings(
    settings: Settings, fakes: Fakes, alertmanager_url: str, **changes: Any
) -> Settings:
    """The test settings with an alert hub wired to the local servers (secrets generated)."""
    alerts: dict[str, Any] = {
        "intake_token": INTAKE_TOKEN,
        "alertmanager_url": alertmanager_url,
        "telegram": {
            "api_base_url": fakes.bot.url,
            "bot_token": BOT_TOKEN,
            "attempts": 3,
            "backoff_seconds": 0.5,
        },
        "smtp": {"host": "127.0.0.1", "port": fakes.mailbox.port, "starttls": False},
        "whatsapp": {"url": fakes.whatsapp.url + "/send", "token": PROXY_TOKEN},
        "oncall": {"people": ONCALL_PEOPLE, "rotation_start": "2026-11-30"},
        "oncall_chat": {
            "name": "On-call chat",
            "telegram_chat_id": -500,
            "email": "oncall@ops.test",
        },
        "quiet_chat": {"name": "Quiet chat", "telegram_chat_id": -600},
        "admin": {"name": "Admin", "telegram_chat_id": 1009, "email": "admin@ops.test"},
        "deliver_in_background": False,
        "stats_ttl_seconds": 0,
    } | changes
    return settings.model_copy(update={"alerts": AlertsSettings.model_validate(alerts)})


class Alertmanager:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def silences(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/api/v2/silences", timeout=5).json()  # type: ignore[no-any-return]

    def silence(self, silence_id: str) -> dict[str, Any]:
        return httpx.get(f"{self.url}/api/v2/silence/{silence_id}", timeout=5).json()  # type: ignore[no-any-return]


def alertmanager_binary() -> str:
    found = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if found is None:
        pytest.fail("prometheus-alertmanager not installed: run scripts/ensure-system-deps.sh")
    return found


class start_alertmanager:  # noqa: N801 - used as a context manager
    def __init__(self, folder: Path, config: dict[str, Any], port: int | None = None) -> None:
        self.folder = folder
        self.config = config
        self.port = port

    def __enter__(self) -> Alertmanager:
        (self.folder / "alertmanager.yml").write_text(yaml.safe_dump(self.config))
        port = self.port or servers.free_port()
        log = self.folder / "alertmanager.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    alertmanager_binary(),
                    f"--config.file={self.folder / 'alertmanager.yml'}",
                    f"--storage.path={self.folder / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"alertmanager exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return Alertmanager(url, self.process, log)
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.process.kill()
        raise AssertionError(f"alertmanager did not start:\n{log.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def intake_headers(settings: Settings) -> dict[str, str]:
    assert settings.alerts.intake_token is not None
    return {"Authorization": f"Bearer {settings.alerts.intake_token.get_secret_value()}"}


def fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]


def am_alert(
    alertname: str = "DatabaseDown",
    *,
    severity: str = "critical",
    status: str = "firing",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    **labels: str,
) -> dict[str, Any]:
    """One alert as Alertmanager's webhook sends it."""
    all_labels = {"alertname": alertname, "severity": severity, "instance": "db:5432"} | labels
    starts = starts_at or datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {
            "summary": f"{alertname} on {all_labels['instance']}",
            "runbook_url": "https://runbooks.test/db",
        },
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": (
            ends_at.isoformat().replace("+00:00", "Z") if ends_at else "0001-01-01T00:00:00Z"
        ),
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint(all_labels),
    }


def payload(*alerts: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="X"}',
        "truncatedAlerts": 0,
        "status": status or alerts[0]["status"],
        "receiver": "oversight-intake",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def resolved(alert: dict[str, Any], after: timedelta) -> dict[str, Any]:
    starts = datetime.fromisoformat(alert["startsAt"])
    return alert | {
        "status": "resolved",
        "endsAt": (starts + after).isoformat().replace("+00:00", "Z"),
    }


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def make_alert(
    session: Session,
    alertname: str,
    starts_at: datetime,
    *,
    severity: str = "critical",
    resolved_after: timedelta | None = None,
    acked_after: timedelta | None = None,
    instance: str = "db:5432",
) -> Any:
    """An alert episode as the intake would have stored it, with its times set directly."""
    from oversight.alerts.models import Alert, AlertStatus

    labels = {"alertname": alertname, "severity": severity, "instance": instance}
    alert = Alert(
        fingerprint=fingerprint(labels),
        alertname=alertname,
        severity=severity,
        status=AlertStatus.resolved if resolved_after is not None else AlertStatus.firing,
        labels=labels,
        annotations={},
        starts_at=starts_at,
        ends_at=starts_at + resolved_after if resolved_after is not None else None,
        received_at=starts_at,
        acknowledged_at=starts_at + acked_after if acked_after is not None else None,
    )
    session.add(alert)
    session.flush()
    return alert
