"""Removes personal data and secrets from log events and Sentry events.

Two passes: by key (a field called `email`, `password`, `authorization`, `full_name`...
loses its value whatever it holds) and by content (e-mail addresses, phone numbers, bearer
tokens, JWTs, `password=...`-style pairs and cookies inside free text, query strings and
exception messages, and personal names). Useful fields — ids, routes, statuses, durations —
pass untouched.

Names in free text carry no marker, so they are found by what they are: a capitalised word
that is a known given name (a bundled list of about 5,000, Latin and Cyrillic, without the
ones that are also ordinary words such as "Will" or "Rose"), together with the capitalised
words after it (surname, patronymic) and a surname-shaped word before it ("Petrov Ivan");
and any capitalised word after a title ("Mr Smith", "Dr. Jones"). A surname on its own
("called Petrov") is not recognised — the key pass catches it when it is a field's value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, MutableMapping
from importlib import resources
from typing import Any

MASK = "[redacted]"

# Keys whose values are always personal data or secrets (compared lower-case, `-` as `_`).
_SENSITIVE_KEYS = frozenset(
    {
        "password", "passwd", "pwd", "new_password", "old_password", "current_password",
        "secret", "client_secret", "jwt_secret", "token", "access_token", "refresh_token",
        "id_token", "api_key", "apikey", "totp", "otp", "code_verifier",
        "authorization", "proxy_authorization", "cookie", "cookies", "set_cookie",
        "x_api_key", "session", "sessionid", "csrftoken",
        "name", "full_name", "first_name", "last_name", "middle_name", "username",
        "contact_name", "contact_person", "display_name",
        "email", "e_mail", "contact_email", "phone", "phone_number", "contact_phone", "mobile",
        "address", "ip_address", "dsn",
    }
)  # fmt: skip
# Keys that look sensitive by their ending (`user_email`, `customer_phone`, `db_password`).
_SENSITIVE_SUFFIXES = ("_password", "_secret", "_token", "_email", "_phone", "_name")
# Keys the log schema itself defines: never redacted by key (their values are still scanned).
_SAFE_KEYS = frozenset(
    {
        "event", "action", "level", "ts", "service", "logger", "logger_name", "route",
        "method", "status", "entity", "job", "request_id", "user_id", "entity_id",
        "duration_ms", "exception", "exc_info", "stack_info", "filename", "func_name",
        "module", "pathname", "status_code", "origin", "table_name", "metric_name",
    }
)  # fmt: skip

_KEY_VALUE_NAMES = (
    r"password|passwd|pwd|secret|token|access_token|refresh_token|api[_-]?key|"
    r"authorization|cookie|session(?:id)?|full_name|first_name|last_name|name|username|"
    r"email|phone|otp|totp|jwt_secret|client_secret"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values and bare bearer/basic credentials.
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    # JSON web tokens anywhere.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # Header lines: "Authorization: ...", "Cookie: ...", "Set-Cookie: ...".
    (
        re.compile(r"(?im)\b((?:proxy-)?authorization|set-cookie|cookie)(\s*[:=]\s*)[^\r\n]+"),
        r"\1\2" + MASK,
    ),
    # key=value / key: value / "key": "value" pairs (query strings, reprs, JSON, messages).
    (
        re.compile(
            r"""(?ix)
            (["'(]?\b(?:[a-z0-9]+[_-])*(?:"""
            + _KEY_VALUE_NAMES
            + r""")\b["')]?)  # the key
            (\s*(?:=|:|=>)\s*)                                              # the separator
            (?!\[redacted\])                                                # not twice
            (?:"[^"]*"|'[^']*'|\([^)]*\)                                      # quoted value
            |[^\s&,;)}\]]+(?-i:\s+[A-Z\u0410-\u042f\u0401][\w'-]+)*)  # or bare words
            """
        ),
        r"\1\2" + MASK,
    ),
    # PostgreSQL constraint details: "Key (email)=(ivan@example.com) already exists".
    (re.compile(r"(?i)\bKey \(([^)]*)\)=\([^)]*\)"), r"Key (\1)=(" + MASK + ")"),
    # Credentials inside URLs: scheme://user:password@host.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1" + MASK + "@"),
    # Password hashes.
    (re.compile(r"\$(?:argon2\w*|2[aby]|pbkdf2[\w-]*|scrypt)\$[^\s'\"]+"), MASK),
    # E-mail addresses.
    # (The look-behind starts a match only where a run of word characters starts: without it
    # a long run with no "@" in it costs quadratic time.)
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), MASK),
    # Phone numbers: an optional +, then 10-15 digits with common separators.
    (
        re.compile(r"(?<![\w.:/-])\+?\d(?:[\s().-]*\d){9,14}(?![\w.:/-])"),
        MASK,
    ),
)
# Text no pattern can touch: lower-case, no spaces or separators, fewer than ten digits (so no
# phone number) — routes, actions, statuses. Possessive quantifiers: no backtracking.
_PLAIN = re.compile(r"(?:[a-z_/{}.\-]*+\d){0,9}+[a-z_/{}.\-]*+")
# Other shapes no pattern can match, as they fill every access-log line: an upper-case token
# (an HTTP method; no pattern matches a word without lower-case letters or digits) and the
# request ids Oversight makes (`req-<hex>-<hex>`).
_PLAIN_TOKEN = re.compile(r"[A-Z]{1,16}|req-[0-9a-f]{1,32}-[0-9a-f]{1,16}")
# Fields the logging pipeline itself writes after the call (time, level, logger, service):
# nothing the caller passed can reach them, so they are not scanned.
_PIPELINE_KEYS = frozenset({"ts", "level", "logger", "service"})
_ALLOWED_NUMBER = re.compile(r"^\d{4}-\d{2}-\d{2}")

# A word made of letters, with inner apostrophes or hyphens (O'Neil, Anna-Maria).
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "mister", "madam", "sir", "prof"})
# How many capitalised words after a given name are taken as its surname/patronymic.
_NAME_TAIL = 2
_SURNAME_SHAPE = re.compile(
    r"(?i)(?:ov|ova|ev|eva|yov|yova|in|ina|yn|yna|sky|skiy|skaya|ski|ska|enko|uk|chuk|vich|"
    r"ович|евич|ова|ева|ов|ев|ин|ина|ский|ская|енко|ук)$"
)


@functools.cache
def given_names() -> frozenset[str]:
    """The bundled given names, lower-case (read once)."""
    text = resources.files("oversight.observability").joinpath("data/given_names.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _capitalised(word: str) -> bool:
    return word[0].isupper() and (len(word) == 1 or not word[1:].isupper())


def redact_names(text: str) -> str:
    """`text` with personal names masked (see the module docstring for what counts)."""
    words = [m for m in _WORD.finditer(text) if _capitalised(m.group())]
    if not words:
        return text
    names = given_names()
    masked: set[int] = set()
    for index, match in enumerate(words):
        word = match.group()
        lower = word.lower().rstrip(".")
        if lower in _TITLES:
            if _adjacent(text, words, index, index + 1):
                masked.add(index + 1)
            continue
        if lower not in names and not any(part in names for part in lower.split("-")):
            continue
        masked.add(index)
        tail = index
        while (
            tail + 1 < len(words)
            and tail - index < _NAME_TAIL
            and _adjacent(text, words, tail, tail + 1)
        ):
            tail += 1
            masked.add(tail)
        before = index - 1
        if (
            before >= 0
            and _adjacent(text, words, before, index)
            and _SURNAME_SHAPE.search(words[before].group())
        ):
            masked.add(before)
    if not masked:
        return text
    pieces: list[str] = []
    position = 0
    for index in sorted(masked):
        match = words[index]
        if index - 1 in masked and text[position : match.start()].strip(" .") == "":
            position = match.end()  # one mask for a whole name
            continue
        pieces.append(text[position : match.start()])
        pieces.append(MASK)
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _adjacent(text: str, words: list[re.Match[str]], first: int, second: int) -> bool:
    """Whether words[second] directly follows words[first] (only spaces, or a title's dot)."""
    if second >= len(words):
        return False
    gap = text[words[first].end() : words[second].start()]
    return 0 < len(gap) <= 2 and gap.strip(" .") == "" and "\n" not in gap


def _is_sensitive_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    normal = key.lower().replace("-", "_")
    if normal in _SAFE_KEYS:
        return False
    return normal in _SENSITIVE_KEYS or normal.endswith(_SENSITIVE_SUFFIXES)


def redact_text(text: str) -> str:
    """`text` with every recognisable secret or piece of personal data masked."""
    if _PLAIN.fullmatch(text) or _PLAIN_TOKEN.fullmatch(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return redact_names(text)


def redact(value: Any, *, depth: int = 0) -> Any:
    """A copy of `value` (str, mapping, sequence, anything else) with PII and secrets masked.

    Mappings lose the values of sensitive keys; strings are scanned; other objects are kept
    as they are except exceptions, whose text is scanned (as `Type: message`).
    """
    if depth > 12:
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {
            key: (MASK if _is_sensitive_key(key) else redact(item, depth=depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [redact(item, depth=depth + 1) for item in value]
        return items if isinstance(value, list | set | frozenset) else tuple(items)
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    return value


def redact_event(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> dict[str, Any]:
    """structlog processor: redact every field of the event (runs after exceptions render)."""
    return {
        key: (value if key in _PIPELINE_KEYS else MASK if _is_sensitive_key(key) else redact(value))
        for key, value in event_dict.items()
    }
