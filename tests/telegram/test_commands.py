"""Every command for a role that may run it and for one that may not, as the API decides;
each command an audit event, each KPI shown an `analytics.viewed` event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot_company import build_company
from bot_harness import link
from builders import make_user
from engines import EMBEDDED_ONLY
from oversight.audit.models import AuditEvent
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

PNG = b"\x89PNG\r\n\x1a\n"

# (command, a role that may run it, a role that may not; None: every role may)
# Every role reads at least one analytics section, so none is refused /analytics or /chart
# as such; /chart refuses per chart.
CASES = [
    ("/analytics 2026-03", Role.client, None),
    ("/project_stats P-ACME", Role.director, Role.accountant),
    ("/open", Role.project_manager, Role.accountant),
    ("/overdue", Role.accountant, Role.engineer),
    ("/engineers 2026-03", Role.engineer, Role.client),
    ("/chart margins 2026-03", Role.director, Role.client),
    ("/lang en", Role.engineer, None),
    ("/help", Role.client, None),
    ("/start", Role.viewer, None),
    ("/unlink", Role.accountant, None),
]


def _events(session, action: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(statement))


def _user(session, role: Role, company):
    return company.pm_acme if role is Role.project_manager else make_user(session, role)


@pytest.mark.parametrize(("command", "allowed", "refused"), CASES, ids=[c[0] for c in CASES])
def test_a_role_that_may_run_the_command(bot, session, settings, command, allowed, refused):
    company = build_company(session)
    user = _user(session, allowed, company)
    answer = bot.ask(link(session, settings, user), command)
    assert "may not" not in answer.text
    assert "went wrong" not in answer.text
    name = command.split()[0][1:]
    [event] = _events(session, "bot.command")
    assert (event.actor_type, event.actor_id, event.actor_role) == ("user", user.id, allowed.value)
    assert (event.entity_id, event.user_agent) == (name, "telegram")
    assert event.request_id.startswith("tg-")
    assert '"outcome":"ok"' in event.changes
    assert _events(session, "access.denied") == []


@pytest.mark.parametrize(
    ("command", "allowed", "refused"),
    [case for case in CASES if case[2] is not None],
    ids=[c[0] for c in CASES if c[2] is not None],
)
def test_a_role_that_may_not_is_refused_and_audited(
    bot, session, settings, command, allowed, refused
):
    build_company(session)
    user = make_user(session, refused)
    answer = bot.ask(link(session, settings, user), command)
    name = command.split()[0][1:]
    if name == "chart":
        assert answer.text == "Your role may not see the margins chart."
    else:
        assert answer.text == f"Your role may not use /{name}."
    [denied] = _events(session, "access.denied")
    assert (denied.actor_id, denied.actor_role) == (user.id, refused.value)
    [event] = _events(session, "bot.command")
    assert '"outcome":"denied"' in event.changes
    assert _events(session, "analytics.viewed") == []


def test_help_lists_only_what_the_role_may_run(bot, session, settings):
    accountant = make_user(session, Role.accountant)
    assert bot.ask(link(session, settings, accountant), "/help").text.splitlines() == [
        "Commands:",
        "/start — greeting",
        "/help — this list",
        "/link CODE — link this account to your user",
        "/unlink — unlink this account",
        "/analytics [YYYY-MM | YYYY-MM-DD YYYY-MM-DD] — the KPI summary: month to date, a month "
        "or "
        "a period",
        "/overdue — overdue invoices by client",
        "/chart <name> [YYYY-MM | YYYY-MM-DD YYYY-MM-DD] — a chart as a picture",
        "/files <request number> — the files attached to a request",
        "/preview <file number> — a file's preview as a picture",
        "/lang en|ru — language of the answers",
    ]


def test_overdue_invoices_by_client(bot, session, settings):
    build_company(session)
    account = link(session, settings, make_user(session, Role.accountant))
    assert bot.ask(account, "/overdue").text == (
        "2 overdue invoices, 19,400.50\xa0RUB\n• ACME: 1, 12,400.50\xa0RUB\n"
        "• Globex: 1, 7,000.00\xa0RUB"
    )
    [view] = _events(session, "analytics.viewed")
    assert (view.entity_type, view.entity_id, view.changes) == (
        "kpi",
        "overdue-invoices",
        '{"channel":"telegram"}',
    )


def test_a_project_outside_the_scope_is_not_found_like_a_missing_one(bot, session, settings):
    company = build_company(session)
    account = link(session, settings, company.pm_globex)
    usage = "\nUsage: /project_stats <project code or id>"
    assert bot.ask(account, "/project_stats P-ACME").text == "No project P-ACME." + usage
    assert bot.ask(account, f"/project_stats {company.acme_project_id}").text == (
        f"No project {company.acme_project_id}." + usage
    )
    assert bot.ask(account, "/project_stats P-NOWHERE").text == "No project P-NOWHERE." + usage
    probes = _events(session, "access.out_of_scope")
    assert [(e.actor_id, e.entity_id) for e in probes] == [
        (company.pm_globex.id, str(company.acme_project_id))
    ] * 2
    own = bot.ask(account, "/project_stats p-globex").text
    assert own.startswith("P-GLOBEX ")
    assert "(Globex)" in own


def test_open_puts_the_sla_risk_first(bot, session, settings):
    company = build_company(session)
    account = link(session, settings, company.pm_acme)
    lines = bot.ask(account, "/open").text.splitlines()
    assert lines[0] == "Past due: 1 · Due in 24 h: 0"
    assert lines[1].startswith("Open requests: 1 (avg age ")


def test_engineers_load_in_a_month(bot, session, settings):
    company = build_company(session)
    account = link(session, settings, make_user(session, Role.director))
    text = bot.ask(account, "/engineers 2026-03").text
    assert text.splitlines()[0] == "Engineers, 01.03\u201331.03.2026:"
    assert "• Ivan Petrov: assigned 1, closed 0, 6.0 h, load " in text
    assert company.engineer.full_name == "Ivan Petrov"


def test_a_chart_arrives_as_a_png_photo(bot, session, settings, tmp_path):
    build_company(session)
    account = link(session, settings, make_user(session, Role.director))
    answer = bot.ask(account, "/chart revenue-by-month 2026-01-01 2026-03-31")
    assert answer.method == "sendPhoto"
    assert answer.params["caption"] == "Chart: revenue-by-month"
    assert answer.files["photo"].startswith(PNG)
    (tmp_path / "chart.png").write_bytes(answer.files["photo"])
    [view] = _events(session, "analytics.viewed")
    assert view.entity_id == "chart:revenue-by-month"


BAD_INPUT = [
    (
        "/analytics 2026-13",
        "Not a month: 2026-13. Write it as YYYY-MM, e.g. 2026-03.\n"
        "Usage: /analytics [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]",
    ),
    (
        "/analytics 2026-03-31 2026-03-01",
        "Not a period: it must not end before it starts or last over three years.\n"
        "Usage: /analytics [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]",
    ),
    (
        "/analytics 2026-03-01 31.03.2026",
        "Not a date: 31.03.2026. Write days as YYYY-MM-DD, e.g. 2026-03-31.\n"
        "Usage: /analytics [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]",
    ),
    (
        "/analytics a b c",
        "Too many arguments.\nUsage: /analytics [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]",
    ),
    (
        "/project_stats",
        "Name one project by its code or id.\nUsage: /project_stats <project code or id>",
    ),
    (
        "/chart pie",
        "No chart pie. Charts: closed-per-day, margins, open-requests, revenue-by-month, "
        "utilization.\nUsage: /chart <name> [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]",
    ),
    (
        "/chart",
        "Name a chart: closed-per-day, margins, open-requests, revenue-by-month, utilization.\n"
        "Usage: /chart <name> [YYYY-MM | YYYY-MM-DD YYYY-MM-DD]",
    ),
    ("/lang de", "Choose one of: en, ru.\nUsage: /lang en|ru"),
    ("/frobnicate", "Unknown command. /help lists what you can do."),
    ("good morning", "Unknown command. /help lists what you can do."),
]


@pytest.mark.parametrize(("command", "answer"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_a_short_answer_with_the_usage(bot, session, settings, command, answer):
    account = link(session, settings, make_user(session, Role.director))
    assert bot.ask(account, command).text == answer
    [event] = _events(session, "bot.command")
    assert '"outcome":"ok"' not in event.changes


def test_commands_in_a_group_chat_are_ignored(bot, session, settings):
    account = link(session, settings, make_user(session, Role.director))
    bot.api.message(account, "/overdue", group=-100123)
    bot.api.message(account, "hello", group=-100123)
    answer = bot.ask(account, "/start")  # the next answer is the private one
    assert answer.chat_id == account
    assert len(bot.api.answers()) == 1
    assert [e.entity_id for e in _events(session, "bot.command")] == ["start"]
