"""structlog set-up: the JSON log schema of DESIGN.md, one pipeline for every logger.

`configure_logging` routes structlog *and* the standard library (uvicorn, SQLAlchemy,
APScheduler...) through the same processors — context, redaction, rendering — so in JSON mode
nothing reaches stdout as plain text. It is idempotent and cheap when nothing changed: every
`create_app()` calls it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from oversight.config import LogFormat, ObservabilitySettings
from oversight.context import current_context, request_state
from oversight.observability.redaction import redact_event

_configured: tuple[Any, ...] | None = None
_HANDLER_MARK = "_oversight_handler"
_QUIET_LOGGERS = {
    "uvicorn.access": logging.WARNING,
    "apscheduler": logging.WARNING,
    "alembic": logging.WARNING,
    "httpx": logging.WARNING,
}
_LEADING = ("ts", "level", "service", "action", "request_id", "user_id")


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stdout` is at emit time (pytest swaps it per test)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def _timestamp(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    now = datetime.now(UTC)
    event_dict["ts"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return event_dict


def _service(name: str) -> Processor:
    def add_service(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = name  # always ours: the redactor trusts this field
        return event_dict

    return add_service


def _request_context(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    context = current_context()
    if context.request_id is not None:
        event_dict.setdefault("request_id", context.request_id)
    if context.origin not in ("http", "system"):
        event_dict.setdefault("origin", context.origin)
    state = request_state()
    if state is not None and state.user_id is not None:
        event_dict.setdefault("user_id", state.user_id)
    return event_dict


def _schema_names(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    # structlog calls the message "event"; the schema calls it "action".
    if "event" in event_dict:
        if "action" in event_dict:  # an explicit action wins; the text stays as the message
            event_dict["message"] = event_dict.pop("event")
        else:
            event_dict["action"] = event_dict.pop("event")
    record = event_dict.pop("_record", None)
    event_dict.pop("_from_structlog", None)
    if record is not None and "logger" not in event_dict:
        event_dict["logger"] = record.name
    ordered = {key: event_dict.pop(key) for key in _LEADING if key in event_dict}
    ordered.update(event_dict)
    return ordered


def _json_dumps(data: Any, **kwargs: Any) -> str:
    return json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))


def _resolve_format(settings: ObservabilitySettings) -> LogFormat:
    if settings.log_format is not LogFormat.auto:
        return settings.log_format
    return LogFormat.console if sys.stdout.isatty() else LogFormat.json


def _formatter(
    renderer: Processor, pre_chain: list[Processor]
) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            _schema_names,
            renderer,
        ],
    )


def configure_logging(settings: ObservabilitySettings, *, force: bool = False) -> None:
    """Install the pipeline on the root logger (once per distinct configuration)."""
    global _configured
    log_format = _resolve_format(settings)
    key = (log_format, settings.log_level, settings.log_file, settings.service_name)
    if key == _configured and not force:
        return
    level = logging.getLevelName(settings.log_level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _timestamp,
        _service(settings.service_name),
        _request_context,
    ]
    json_renderer = structlog.processors.JSONRenderer(serializer=_json_dumps)
    renderer: Processor = (
        json_renderer
        if log_format is LogFormat.json
        else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), event_key="action")
    )
    handlers: list[logging.Handler] = [_StdoutHandler()]
    handlers[0].setFormatter(_formatter(renderer, shared))
    if settings.log_file:
        path = Path(settings.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path,
            maxBytes=settings.log_file_max_bytes,
            backupCount=settings.log_file_backups,
            encoding="utf-8",
        )
        file_handler.setFormatter(_formatter(json_renderer, shared))
        handlers.append(file_handler)

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "apscheduler"):
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    for name, quiet_level in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet_level, level))

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = key


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger named `name` (the stdlib logger it writes through)."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
