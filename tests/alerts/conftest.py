"""Fixtures of the alert hub's tests: local Bot API, WhatsApp proxy and SMTP servers, a real
Alertmanager, settings that point the hub at them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from alert_fakes import FakeBotApi, RecordingServer, serving, smtp_server
from alert_hub import Alertmanager, Fakes, hub_settings, start_alertmanager
from oversight.alerts import delivery
from oversight.config import Settings


@pytest.fixture(scope="session")
def fake_servers() -> Iterator[Fakes]:
    with (
        serving(FakeBotApi()) as bot,
        serving(RecordingServer()) as whatsapp,
        smtp_server() as mail,
    ):
        yield Fakes(bot, whatsapp, mail)  # type: ignore[arg-type]


@pytest.fixture
def fakes(fake_servers: Fakes) -> Iterator[Fakes]:
    fake_servers.reset()
    yield fake_servers
    fake_servers.reset()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    """A real Alertmanager (no cluster), routing nowhere: the hub's silences go to it."""
    with start_alertmanager(
        tmp_path_factory.mktemp("am"),
        {"receivers": [{"name": "null"}], "route": {"receiver": "null"}},
    ) as manager:
        yield manager


@pytest.fixture
def hub(settings: Settings, fakes: Fakes, alertmanager: Alertmanager) -> Settings:
    return hub_settings(settings, fakes, alertmanager.url)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def channels(hub: Settings, sleeps: list[float]) -> delivery.Channels:
    built = delivery.channels_from(hub)
    built.sleep = sleeps.append
    return built


@pytest.fixture
def hub_client(hub: Settings, client_for: Callable[[str, Settings], TestClient]) -> TestClient:
    """A client of an app with the hub's settings, running in the test's transaction."""
    # The masked dump tells settings apart; the tokens are the same for the whole run.
    shape = json.dumps(hub.alerts.model_dump(mode="json"), sort_keys=True)
    return client_for(f"alerts={hashlib.sha256(shape.encode()).hexdigest()}", hub)
