# ruff: noqa: E501 - the corpus keeps one realistic log event per entry
"""The redaction processor on a corpus of realistic log events, through the real pipeline."""

from __future__ import annotations

import json
import logging

import pytest

from oversight.observability.logging import get_logger
from oversight.observability.redaction import redact, redact_text

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl"
)

# (what is logged, the PII that must not survive, the useful text that must)
CORPUS: list[tuple[dict[str, object], list[str], list[str]]] = [
    (
        {"event": "login_failed", "username": "ivan.petrov", "attempt": 3},
        ["ivan.petrov"],
        ["login_failed", '"attempt":3'],
    ),
    (
        {"event": "login_ok", "user_id": 42, "email": "ivan.petrov@example.com"},
        ["ivan.petrov@example.com"],
        ['"user_id":42'],
    ),
    (
        {"event": "user_created", "full_name": "Ivan Petrov", "role": "engineer"},
        ["Ivan Petrov"],
        ["engineer"],
    ),
    (
        {"event": "user_updated", "changes": {"phone": "+7 916 123-45-67", "role": "admin"}},
        ["916 123-45-67"],
        ["admin"],
    ),
    (
        {
            "event": "customer_created",
            "entity": "customer",
            "entity_id": 7,
            "contact_email": "ops@acme.ru",
        },
        ["ops@acme.ru"],
        ['"entity_id":7'],
    ),
    (
        {
            "event": "request",
            "headers": {"Authorization": f"Bearer {JWT}", "Accept": "application/json"},
        },
        [JWT],
        ["application/json"],
    ),
    (
        {"event": "request", "headers": {"cookie": "session=abc123secretvalue; theme=dark"}},
        ["abc123secretvalue"],
        ["request"],
    ),
    (
        {"event": "http_request", "query": "email=anna.smirnova%40mail.ru&page=2"},
        ["anna.smirnova"],
        ["page=2"],
    ),
    (
        {
            "event": "http_request",
            "url": "/api/v1/customers?search=x&token=s3cr3t-t0ken-value&page=3",
        },
        ["s3cr3t-t0ken-value"],
        ["page=3", "/api/v1/customers"],
    ),
    (
        {"event": "http_request", "url": "/api/v1/users?phone=%2B79161234567"},
        ["79161234567"],
        ["/api/v1/users"],
    ),
    (
        {
            "event": "login_payload",
            "body": {"username": "admin", "password": "hunter2-very-secret"},
        },
        ["hunter2-very-secret"],
        ["login_payload"],
    ),
    (
        {"event": "login_payload", "body": '{"username": "anna", "password": "pa55word!"}'},
        ["pa55word!", "anna"],
        ["login_payload"],
    ),
    (
        {
            "event": "config_loaded",
            "settings": {"auth": {"jwt_secret": "x" * 40}, "api": {"port": 8000}},
        },
        ["x" * 40],
        ['"port":8000'],
    ),
    (
        {
            "event": "db_error",
            "error": "duplicate key value violates unique constraint; DETAIL: Key (email)=(p.sidorov@corp.ru) already exists.",
        },
        ["p.sidorov@corp.ru"],
        ["duplicate key"],
    ),
    (
        {"event": "db_error", "error": "Key (username)=(psidorov) already exists"},
        ["psidorov"],
        ["already exists"],
    ),
    (
        {"event": "notify_failed", "message": "could not send SMS to +7 (903) 555-12-34"},
        ["555-12-34"],
        ["could not send SMS"],
    ),
    (
        {"event": "notify_failed", "message": "mail to olga.k@yandex.ru bounced"},
        ["olga.k@yandex.ru"],
        ["bounced"],
    ),
    ({"event": "token_issued", "access_token": JWT, "user_id": 3}, [JWT], ['"user_id":3']),
    ({"event": "token_issued", "detail": f"issued {JWT} for user 3"}, [JWT], ["for user 3"]),
    (
        {"event": "webhook", "raw": "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        ["YWxhZGRpbjpvcGVuc2VzYW1l"],
        ["webhook"],
    ),
    ({"event": "webhook", "raw": "X-Api-Key=abcdef1234567890"}, ["abcdef1234567890"], ["webhook"]),
    (
        {
            "event": "proxy",
            "headers": [("authorization", "Bearer abcdefghijklmnop"), ("host", "api.local")],
        },
        ["abcdefghijklmnop"],
        ["api.local"],
    ),
    (
        {
            "event": "request_closed",
            "entity": "service_request",
            "entity_id": "SR-1001",
            "duration_ms": 41,
            "status": "success",
        },
        [],
        ["SR-1001", '"duration_ms":41', "success"],
    ),
    (
        {"event": "request_assigned", "entity_id": "SR-1002", "engineer_name": "Pavel Orlov"},
        ["Pavel Orlov"],
        ["SR-1002"],
    ),
    (
        {"event": "approval", "comment": "approved by contact_name=Maria Ivanova on site"},
        ["Maria Ivanova"],
        ["approval"],
    ),
    (
        {
            "event": "export",
            "rows": [{"name": "ACME LLC contact Oleg", "id": 1}, {"name": "Beta", "id": 2}],
        },
        ["Oleg"],
        ['"id":1', '"id":2'],
    ),
    (
        {"event": "nested", "a": {"b": {"c": {"d": {"email": "deep@nest.io"}}}}},
        ["deep@nest.io"],
        ["nested"],
    ),
    (
        {"event": "nested_list", "items": [[{"phone": "8-800-555-35-35"}]]},
        ["555-35-35"],
        ["nested_list"],
    ),
    (
        {
            "event": "sql",
            "statement": "UPDATE users SET password_hash='$argon2id$v=19$abc' WHERE id=5",
        },
        ["$argon2id$v=19$abc"],
        ["WHERE id=5"],
    ),
    ({"event": "sql", "params": {"email_1": "u1@x.org", "id_1": 9}}, ["u1@x.org"], ['"id_1":9']),
    (
        {"event": "client_error", "user_agent": "Mozilla/5.0", "status": 401},
        [],
        ['"status":401', "Mozilla/5.0"],
    ),
    (
        {"event": "password_reset", "new_password": "N3wPassw0rd!!", "user_id": 77},
        ["N3wPassw0rd!!"],
        ['"user_id":77'],
    ),
    ({"event": "totp_checked", "otp": "123456", "user_id": 77}, ["123456"], ['"user_id":77']),
    (
        {"event": "set_cookie", "set-cookie": "refresh=longrefreshvalue123; HttpOnly"},
        ["longrefreshvalue123"],
        ["set_cookie"],
    ),
    (
        {"event": "form", "data": "username=boris&password=qwerty123&remember=1"},
        ["qwerty123", "boris"],
        ["remember=1"],
    ),
    (
        {"event": "repr", "data": "User(id=4, username='kirill', email='k@k.ru')"},
        ["kirill", "k@k.ru"],
        ["User(id=4"],
    ),
    (
        {"event": "dict_repr", "data": "{'full_name': 'Elena Volkova', 'id': 12}"},
        ["Elena Volkova"],
        ["'id': 12"],
    ),
    (
        {
            "event": "json_text",
            "data": '{"first_name": "Sergey", "last_name": "Kuznetsov", "id": 5}',
        },
        ["Sergey", "Kuznetsov"],
        ['\\"id\\": 5'],
    ),
    (
        {"event": "sentry_dsn", "dsn": "https://abcdef@o1.ingest.sentry.io/42"},
        ["abcdef@o1"],
        ["sentry_dsn"],
    ),
    (
        {
            "event": "job_finished",
            "job": "database_health",
            "duration_ms": 3.2,
            "status": "success",
        },
        [],
        ["database_health", '"duration_ms":3.2'],
    ),
    (
        {
            "event": "route",
            "route": "/api/v1/requests/{request_id}",
            "method": "GET",
            "status": 200,
        },
        [],
        ["/api/v1/requests/{request_id}", '"status":200'],
    ),
    (
        {
            "event": "invoice_issued",
            "entity": "invoice",
            "entity_id": "INV-2026-0012",
            "amount": "25000.00",
        },
        [],
        ["INV-2026-0012", "25000.00"],
    ),
    (
        {"event": "phone_in_text", "note": "call me at 89161234567 tomorrow"},
        ["89161234567"],
        ["tomorrow"],
    ),
    (
        {"event": "intl_phone", "note": "whatsapp +44 20 7946 0958 please"},
        ["7946 0958"],
        ["please"],
    ),
    (
        {"event": "email_upper", "note": "CC: Anna.Smirnova@Example.COM"},
        ["Anna.Smirnova@Example.COM"],
        ["CC"],
    ),
    (
        {"event": "bearer_lower", "note": "header was bearer abcdefghijklmnopqrstuvwxyz0123"},
        ["abcdefghijklmnopqrstuvwxyz0123"],
        ["header was"],
    ),
    (
        {"event": "db_url", "url": "postgresql://oversight:S3cretPw@db:5432/oversight"},
        ["S3cretPw"],
        ["5432"],
    ),
    ({"event": "customer_search", "search": "ACME", "page": 1}, [], ["ACME"]),
    (
        {"event": "contact_person", "contact_person": "Dmitry Sokolov", "customer_id": 3},
        ["Dmitry Sokolov"],
        ['"customer_id":3'],
    ),
    ({"event": "display", "display_name": "Natalia", "user_id": 8}, ["Natalia"], ['"user_id":8']),
    (
        {"event": "address", "address": "Moscow, Tverskaya 1", "customer_id": 3},
        ["Tverskaya"],
        ['"customer_id":3'],
    ),
    (
        {"event": "cyrillic_name", "comment": "name=Иван Петров confirmed"},
        ["Иван", "Петров"],
        ["confirmed"],
    ),  # Names in free text, with no field name to give them away.
    (
        {
            "event": "note_added",
            "note": "Customer Ivan Petrov called about SR-000123",
            "user_id": 5,
        },
        ["Ivan", "Petrov"],
        ["Customer", "called about SR-000123", '"user_id":5'],
    ),
    (
        {
            "event": "visit",
            "comment": "Engineer Anna Smirnova arrived; Petrov Oleg Sergeevich signed",
        },
        ["Anna", "Smirnova", "Petrov", "Oleg", "Sergeevich"],
        ["Engineer", "arrived;", "signed"],
    ),
    (
        {"event": "payment", "comment": "Mr. Smith paid INV-2026-00012 by card", "entity_id": 12},
        ["Smith"],
        ["Mr.", "paid INV-2026-00012 by card"],
    ),
    (
        {"event": "approval", "comment": "Иван Петров подтвердил заявку SR-000123"},
        ["Иван", "Петров"],
        ["подтвердил заявку SR-000123"],
    ),
    (
        {"event": "handover", "comment": "keys left with Anna-Maria O'Neil at reception"},
        ["Anna-Maria", "O'Neil"],
        ["keys left with", "at reception"],
    ),
    (
        {"event": "sla_warning", "comment": "request SR-000777 for Dr Jones breaches SLA at 14:00"},
        ["Jones"],
        ["SR-000777", "breaches SLA at 14:00"],
    ),
    (
        {
            "event": "db_error",
            "error": "IntegrityError: customer 'Maria Ivanova' already has contract 7",
        },
        ["Maria", "Ivanova"],
        ["IntegrityError", "already has contract 7"],
    ),
]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 50


def test_no_pii_survives_and_useful_fields_do(json_logs):
    log = get_logger("oversight.test")
    for event, _, _ in CORPUS:
        fields = dict(event)
        log.info(fields.pop("event"), **fields)
    lines = json_logs()
    assert len(lines) == len(CORPUS)
    for (event, pii, useful), line in zip(CORPUS, lines, strict=True):
        text = json.dumps(line, ensure_ascii=False)
        for secret in pii:
            assert secret not in text, (event["event"], secret, text)
        for keep in useful:
            assert keep in json.dumps(line, ensure_ascii=False, separators=(",", ":")), (keep, text)
        assert line["action"] == event["event"]


def test_exception_messages_and_tracebacks_are_redacted(json_logs):
    log = get_logger("oversight.test")
    try:
        raise ValueError("user ivan@example.com has password=hunter2 and phone +7 916 123 45 67")
    except ValueError as error:
        log.error("crash", exc_info=error)
    (line,) = json_logs()
    text = json.dumps(line)
    assert "ValueError" in text
    for secret in ("ivan@example.com", "hunter2", "916 123 45 67"):
        assert secret not in text


def test_library_logs_go_through_the_same_pipeline(json_logs):
    logging.getLogger("uvicorn.error").warning("client %s sent token=%s", "x", "abcdef123456")
    (line,) = json_logs()
    assert line["level"] == "warning"
    assert line["logger"] == "uvicorn.error"
    assert "abcdef123456" not in line["action"]


@pytest.mark.parametrize(
    "line",
    [
        "Application startup complete.",
        "Will retry in 5 s: Connection refused",
        "Started server process [4242]",
        "Waiting for application shutdown.",
        "Traceback (most recent call last):",
        "Northwind Service LLC renewed the Maintenance contract",
        "Mark Paid moved INV-2026-00012 to Paid",
        "Rose Garden Estates: Grant Programme, May and June",
    ],
)
def test_ordinary_capitalised_words_are_not_taken_for_names(line):
    assert redact_text(line) == line


def test_redact_keeps_numbers_and_structure():
    assert redact({"id": 5, "ok": True, "items": (1, 2)}) == {"id": 5, "ok": True, "items": (1, 2)}
    assert (
        redact_text("closed SR-1001 in 41 ms on 2026-08-22")
        == "closed SR-1001 in 41 ms on 2026-08-22"
    )


def test_fields_the_pipeline_writes_cannot_carry_what_a_caller_passed(json_logs):
    """ts, level, logger and service are not scanned (they fill every line), so the pipeline
    must overwrite whatever a caller passed under those names."""
    log = get_logger("oversight.test")
    log.info(
        "probe",
        ts="Ivan Petrov",
        level="ivan@example.com",
        logger="+7 916 123 45 67",
        service="Anna Smith",
    )
    (line,) = json_logs()
    text = json.dumps(line, ensure_ascii=False)
    for secret in ("Ivan", "ivan@example.com", "916 123 45 67", "Anna"):
        assert secret not in text, text
    assert (line["level"], line["logger"], line["service"]) == (
        "info",
        "oversight.test",
        "oversight-api",
    )


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("GET", True),
        ("OTHER", True),
        ("req-19a9c1e8b2f4a6b7c8-3e", True),
        ("req-ivan@example.com", False),
        ("Ivan Petrov", False),
    ],
)
def test_the_plain_shapes_of_access_log_values_skip_the_scan(text, kept):
    assert (redact_text(text) == text) is kept
