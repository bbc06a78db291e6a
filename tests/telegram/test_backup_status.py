# ruff: noqa: RUF001 - Russian text is what one of these tests checks
"""/backup_status: read from the backup storage (a local folder holding a backup's manifest,
its object and a drill record, as a run and a drill leave them), for admin and director only,
in both languages; an unreadable storage is a short answer."""

from __future__ import annotations

import io
import json
import secrets
import socket
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot_harness import link
from builders import make_user
from engines import EMBEDDED_ONLY
from oversight.backup.manifest import Manifest, manifest_name, new_id, object_name
from oversight.config import BackupSettings
from oversight.kit.clock import utcnow
from oversight.storage.local import LocalStorage
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

SET = "bot-test"
SIZE = 3 * 2**20 + 2**19  # 3.5 MiB


@pytest.fixture
def backed_up(settings, tmp_path):
    backup = BackupSettings.model_validate({"set_name": SET, "target": {"url": str(tmp_path)}})
    return settings.model_copy(update={"backup": backup}), LocalStorage(tmp_path)


def put_backup(storage: LocalStorage, created_at: datetime) -> Manifest:
    """A verified backup as the storage holds it: its object and its manifest."""
    backup_id = new_id(created_at)
    digest = secrets.token_hex(32)
    manifest = Manifest(
        id=backup_id, set=SET, created_at=created_at, app_version="test", engine="sqlite",
        engine_version="3", alembic_revision=None, tool_versions={},
        object=object_name(SET, backup_id), ciphertext_size=SIZE, ciphertext_sha256=digest,
        plaintext_size=SIZE, plaintext_sha256=digest, database_members=[], files=0,
        file_bytes=0, extra_paths=[], row_counts={}, audit_last_id=0, audit_head_hash="0" * 64,
    )  # fmt: skip
    storage.put(object_name(SET, backup_id), io.BytesIO(b"\0" * SIZE))
    storage.put(manifest_name(SET, backup_id), io.BytesIO(manifest.to_json()))
    return manifest


def put_drill(storage: LocalStorage, backup_id: str, finished: datetime, ok: bool = True) -> None:
    record = {"backup": backup_id, "ok": ok, "detail": "", "finished_at": finished.isoformat()}
    name = f"{SET}/drills/{finished:%Y%m%dT%H%M%S}Z-{backup_id}.json"
    storage.put(name, io.BytesIO(json.dumps(record).encode()))


def test_the_newest_verified_backup_drill_and_rpo_met(start_bot, session, backed_up):
    settings, storage = backed_up
    now = utcnow().replace(microsecond=0)
    put_backup(storage, now - timedelta(hours=30))
    newest = put_backup(storage, now - timedelta(hours=5))
    put_drill(storage, newest.id, now - timedelta(hours=2))
    put_drill(storage, newest.id, now - timedelta(hours=1), ok=False)  # failed: not counted
    bot = start_bot(_settings=settings)
    account = link(session, settings, make_user(session, Role.director))
    lines = bot.ask(account, "/backup_status").text.splitlines()
    shown = newest.created_at.astimezone(ZoneInfo(settings.company.timezone))
    assert lines[0] == f"Newest verified backup: {shown:%d.%m.%Y %H:%M} (5.0 h ago), 3.5 MiB"
    assert lines[1].startswith("Last restore drill: ")
    assert lines[1].endswith("(2.0 h ago)")
    assert lines[2] == "✅ RPO 24.0 h: met"


def test_rpo_missed_and_no_drill_in_russian(start_bot, session, backed_up):
    settings, storage = backed_up
    put_backup(storage, datetime.now(UTC) - timedelta(hours=26))
    bot = start_bot(_settings=settings)
    account = link(session, settings, make_user(session, Role.admin))
    bot.ask(account, "/lang ru")
    lines = bot.ask(account, "/backup_status").text.splitlines()
    assert lines[0].startswith("Последняя проверенная копия: ")
    assert "(26,0 ч назад), 3,5 МиБ" in lines[0]
    assert lines[1] == "Учебных восстановлений ещё не было."
    assert lines[2] == "❌ RPO 24,0 ч: НЕ соблюдается"


def test_no_backup_at_all(start_bot, session, backed_up):
    settings, _storage = backed_up
    bot = start_bot(_settings=settings)
    account = link(session, settings, make_user(session, Role.admin))
    assert bot.ask(account, "/backup_status").text == (
        "No verified backup yet.\nNo restore drill yet.\n❌ RPO 24.0 h: NOT met"
    )


@pytest.mark.parametrize(
    "role", [Role.viewer, Role.project_manager, Role.accountant, Role.engineer, Role.client]
)
def test_other_roles_get_the_usual_refusal(start_bot, session, backed_up, role):
    settings, _storage = backed_up
    bot = start_bot(_settings=settings)
    account = link(session, settings, make_user(session, role))
    assert bot.ask(account, "/backup_status").text == "Your role may not use /backup_status."
    assert "/backup_status" not in bot.ask(account, "/help").text


def test_an_unreachable_storage_is_a_short_answer(start_bot, session, settings):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = {"url": f"sftp://backup@127.0.0.1:{port}/b", "password": secrets.token_hex(8)}
    backup = BackupSettings.model_validate({"set_name": SET, "target": target})
    configured = settings.model_copy(update={"backup": backup})
    bot = start_bot(_settings=configured)
    account = link(session, configured, make_user(session, Role.admin))
    text = bot.ask(account, "/backup_status").text
    assert text.startswith("Backup storage is not reachable: ")
    assert "\n" not in text
