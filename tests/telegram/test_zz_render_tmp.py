from datetime import timedelta
from alert_hub import make_alert
from bot_harness import link
from builders import make_user
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role
import sys
sys.path.insert(0, "tests/telegram")
from test_alerts import hub  # noqa: F401
from test_backup_status import backed_up, put_backup, put_drill  # noqa: F401

def test_render(start_bot, session, hub, tmp_path):
    from oversight.config import BackupSettings
    from oversight.storage.local import LocalStorage
    settings = hub.model_copy(update={"backup": BackupSettings.model_validate({"set_name": "bot-test", "target": {"url": str(tmp_path)}})})
    storage = LocalStorage(tmp_path)
    now = utcnow()
    m = put_backup(storage, now - timedelta(hours=7))
    put_drill(storage, m.id, now - timedelta(hours=3))
    a = make_alert(session, "DiskFull", now - timedelta(hours=2), severity="warning")
    make_alert(session, "DatabaseDown", now - timedelta(minutes=5))
    make_alert(session, "Flappy", now - timedelta(days=2), resolved_after=timedelta(minutes=2))
    make_alert(session, "Slow", now - timedelta(days=3), resolved_after=timedelta(hours=5), acked_after=timedelta(minutes=7))
    boss = make_user(session, Role.admin, full_name="Olga Admin")
    a.acknowledged_at, a.acknowledged_by_id = now, boss.id
    bot = start_bot(_settings=settings)
    acc = link(session, settings, boss)
    out = []
    for lang in ("en", "ru"):
        bot.ask(acc, f"/lang {lang}")
        for cmd in ("/help", "/alerts", "/alerts stats", "/ack", "/ack 99999", "/oncall", "/backup_status"):
            out.append(f"=== [{lang}] {cmd}\n" + bot.ask(acc, cmd).text)
        out.append(f"=== [{lang}] press ack\n" + bot.press(acc, f"alert:ack:{a.id}").params["text"])
    d = link(session, settings, make_user(session, Role.engineer))
    out.append("=== engineer /alerts\n" + bot.ask(d, "/alerts").text)
    print("\n".join(out))
