"""Sentry error reporting, switched on by `OVERSIGHT_SENTRY__DSN`.

Only the crash capture of the observability middleware, the job runner and the CLI report
errors: the SDK's Starlette/FastAPI integrations (and every other auto-enabled one) stay off,
since they cost more than half the throughput of a trivial endpoint (sentry-python issue
4660). No PII: `send_default_pii` off, no local variables, and `before_send` passes every
event through the log redaction; the user is identified by id only.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration

from oversight import __version__
from oversight.config import Settings
from oversight.context import current_context
from oversight.observability.redaction import MASK, redact, redact_text

_enabled = False
_SAFE_TAGS = frozenset(
    {"request_id", "route", "origin", "job", "environment", "release", "update_id", "command"}
)


def _scrub_frames(exception: dict[str, Any]) -> None:
    frames = (exception.get("stacktrace") or {}).get("frames") or []
    for frame in frames:
        frame.pop("vars", None)
        for key in ("context_line",):
            if isinstance(frame.get(key), str):
                frame[key] = redact_text(frame[key])
        for key in ("pre_context", "post_context"):
            if isinstance(frame.get(key), list):
                frame[key] = [redact_text(line) for line in frame[key]]


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """`before_send`: the event with PII and secrets removed, the user reduced to an id."""
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact_text(exception["value"])
        _scrub_frames(exception)
    for thread in (event.get("threads") or {}).get("values") or []:
        _scrub_frames(thread)
    if isinstance(event.get("message"), str):
        event["message"] = redact_text(event["message"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for key in ("message", "formatted"):
            if isinstance(logentry.get(key), str):
                logentry[key] = redact_text(logentry[key])
        logentry.pop("params", None)
    for key in ("extra", "request", "breadcrumbs"):
        if key in event:
            event[key] = redact(event[key])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    tags = event.get("tags")
    if isinstance(tags, dict):
        event["tags"] = {
            key: (value if key in _SAFE_TAGS else redact(value)) for key, value in tags.items()
        }
    event.pop("server_name", None)
    return event


def init_sentry(settings: Settings) -> bool:
    """Start the SDK if a DSN is configured; True when reporting is on."""
    global _enabled
    dsn = settings.sentry.dsn
    if dsn is None:
        return False
    sentry_sdk.init(
        dsn=dsn.get_secret_value(),
        environment=settings.env.value,
        release=settings.sentry.release or f"oversight@{__version__}",
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=settings.sentry.traces_sample_rate,
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[AtexitIntegration(), DedupeIntegration(), ExcepthookIntegration()],
        before_send=scrub_event,  # type: ignore[arg-type]
    )
    _enabled = True
    return True


def shutdown_sentry(timeout: float = 2.0) -> None:
    """Flush and stop reporting (tests, process exit)."""
    global _enabled
    if _enabled:
        client = sentry_sdk.get_client()
        client.flush(timeout=timeout)
        client.close(timeout=timeout)
    _enabled = False


def enabled() -> bool:
    return _enabled


def capture_exception(
    error: BaseException, *, user_id: int | None = None, **tags: str | None
) -> None:
    """Report `error` with the current request id (and the given tags), if Sentry is on."""
    if not _enabled:
        return
    context = current_context()
    with sentry_sdk.new_scope() as scope:
        if context.request_id:
            scope.set_tag("request_id", context.request_id)
        scope.set_tag("origin", context.origin)
        for key, value in tags.items():
            if value is not None:
                scope.set_tag(key, value)
        if user_id is not None:
            scope.set_user({"id": str(user_id)})
        sentry_sdk.capture_exception(error)


__all__ = ["MASK", "capture_exception", "enabled", "init_sentry", "scrub_event"]
