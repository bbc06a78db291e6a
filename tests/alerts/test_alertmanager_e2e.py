"""End to end: a real Alertmanager posts a firing and then a resolved alert to the running app
(uvicorn on a free port); the hub routes it to the local Bot API; an "Acknowledge" press and a
"Silence" press arrive as the bot hands them over; the silence is visible in Alertmanager's
API; the resolution edits the message in place; the statistics show the MTTR and ack time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

import servers
from alert_hub import INTAKE_TOKEN, hub_settings, start_alertmanager
from builders import make_user
from oversight.alerts import service as alert_service
from oversight.alerts.models import Alert, AlertNotification
from oversight.auth.models import User
from oversight.auth.sessions import start_session
from oversight.config import DatabaseSettings
from oversight.db.migrate import upgrade
from oversight.db.session import create_db_engine, unit_of_work
from oversight.main import create_app
from oversight.vocabulary import Role

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


@pytest.fixture
def running_app(settings, fakes, tmp_path) -> Iterator[Any]:
    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'e2e.db'}")
    base = settings.model_copy(update={"database": database})
    engine = create_db_engine(database)
    upgrade(engine)
    engine.dispose()
    port = servers.free_port()
    am_port = servers.free_port()
    hub = hub_settings(
        base,
        fakes,
        f"http://127.0.0.1:{am_port}",
        deliver_in_background=True,
        oncall={"people": [{"name": "Anna", "telegram_chat_id": 1001}]},
    )
    app = create_app(hub)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "uvicorn did not start")
    token_file = tmp_path / "intake-token"
    token_file.write_text(INTAKE_TOKEN)
    config = {
        "route": {
            "receiver": "hub",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "hub",
                "webhook_configs": [
                    {
                        "url": f"http://127.0.0.1:{port}/api/v1/alerts/alertmanager",
                        "send_resolved": True,
                        "http_config": {
                            "authorization": {"type": "Bearer", "credentials_file": str(token_file)}
                        },
                    }
                ],
            }
        ],
    }
    with start_alertmanager(tmp_path, config, port=am_port) as alertmanager:
        yield app, hub, f"http://127.0.0.1:{port}", alertmanager
    server.should_exit = True
    thread.join(timeout=10)


def wait_for(condition: Callable[[], object], message: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(message)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_alertmanager_to_telegram_ack_silence_resolve_and_stats(json_logs, running_app, fakes):
    app, hub, base, alertmanager = running_app
    with unit_of_work(app.state.session_factory) as session:
        admin = make_user(session, Role.admin, full_name="Olga Ivanova")
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=31)
    down = {"alertname": "E2EDatabaseDown", "severity": "critical", "instance": "db:5432"}
    noisy = {"alertname": "E2EDiskFull", "severity": "critical", "instance": "disk:1"}
    fired = httpx.post(
        f"{alertmanager.url}/api/v2/alerts",
        json=[
            {
                "labels": down,
                "annotations": {"summary": "PostgreSQL does not answer"},
                "startsAt": _iso(started),
            },
            {"labels": noisy, "startsAt": _iso(started)},
        ],
        timeout=5,
    )
    assert fired.status_code == 200, fired.text

    # A critical alert goes to the on-call person (1001) and to the on-call chat (-500), in
    # no fixed order: the person's message is the one pressed below.
    def message_about(name: str) -> Any:
        sent = fakes.bot.sent()
        return next((c for c in sent if name in c.body["text"] and c.body["chat_id"] == 1001), None)

    first = wait_for(lambda: message_about("E2EDatabaseDown"), "no Telegram message arrived")
    second = wait_for(lambda: message_about("E2EDiskFull"), "no Telegram message arrived")
    buttons = [
        b["callback_data"] for row in first.body["reply_markup"]["inline_keyboard"] for b in row
    ]
    ack_data = buttons[0]
    assert ack_data.startswith("alert:ack:")
    silence_data = next(
        b["callback_data"]
        for row in second.body["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].endswith(":1h")
    )

    # The bot hands the presses to the hub's service, in its own unit of work.
    pressed = datetime.now(UTC)
    with unit_of_work(app.state.session_factory) as session:
        answer = alert_service.handle_alert_button(
            session, user_id=admin.id, data=ack_data, sent_at=pressed, settings=hub, now=pressed
        )
        assert answer.startswith("Acknowledged alert #")
        answer = alert_service.handle_alert_button(
            session, user_id=admin.id, data=silence_data, sent_at=pressed, settings=hub
        )
        assert answer.endswith("for 1h.")
    silences = httpx.get(f"{alertmanager.url}/api/v2/silences", timeout=5).json()
    (silence,) = [s for s in silences if s["status"]["state"] == "active"]
    assert {m["name"]: m["value"] for m in silence["matchers"]} == noisy
    assert silence["createdBy"] == f"oversight:{admin.username}"
    wait_for(
        lambda: httpx.get(
            f"{alertmanager.url}/api/v2/alerts",
            params={"silenced": "true", "active": "false", "filter": 'alertname="E2EDiskFull"'},
            timeout=5,
        ).json(),
        "Alertmanager does not show the alert as silenced",
    )

    ended = started + timedelta(minutes=31)
    assert ended <= datetime.now(UTC)
    resolved = httpx.post(
        f"{alertmanager.url}/api/v2/alerts",
        json=[
            {
                "labels": down,
                "annotations": {"summary": "PostgreSQL does not answer"},
                "startsAt": _iso(started),
                "endsAt": _iso(ended),
            },
        ],
        timeout=5,
    )
    assert resolved.status_code == 200
    edit = wait_for(
        lambda: next(
            (
                c
                for c in fakes.bot.sent("editMessageText")
                if "RESOLVED" in c.body["text"] and c.body["chat_id"] == 1001
            ),
            None,
        ),
        "the message was not edited on resolution",
    )
    with unit_of_work(app.state.session_factory) as session:
        original = session.scalars(
            select(AlertNotification)
            .join(Alert, Alert.id == AlertNotification.alert_id)
            .where(
                Alert.alertname == "E2EDatabaseDown",
                AlertNotification.kind == "firing",
                AlertNotification.telegram_chat_id == 1001,
            )
        ).one()
        ids = (original.telegram_chat_id, original.telegram_message_id)
    assert (edit.body["chat_id"], edit.body["message_id"]) == ids
    assert "after 31 min" in edit.body["text"]
    assert "Acknowledged by Olga Ivanova" in edit.body["text"]

    with unit_of_work(app.state.session_factory) as session:
        # The session in the app's own database (the `auth` fixture writes the test's).
        user = session.get_one(User, admin.id)
        issued = start_session(session=session, settings=hub, user=user, second_factor="totp")
    headers = {"Authorization": f"Bearer {issued.access_token}"}
    stats = httpx.get(f"{base}/api/v1/alerts/stats", headers=headers, timeout=10).json()
    by_name = {row["key"]: row for row in stats["by_alertname"]}
    database = by_name["E2EDatabaseDown"]
    assert database["mttr"]["value"] == round(31 / 60, 4)
    assert database["mttr"]["met"] is True
    expected_ack = (pressed - started).total_seconds() / 60
    assert abs(database["time_to_ack"]["value"] - expected_ack) < 0.01
    assert database["time_to_ack"]["met"] is False  # 31 minutes after it started firing
    errors = [line for line in json_logs() if line.get("level") in ("error", "critical")]
    assert errors == []  # concurrent deliveries met no "database is locked"
