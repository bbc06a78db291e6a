"""The alert hub's errors, each with its status code."""

from __future__ import annotations

from oversight.errors import AppError


class MalformedPayload(AppError):
    """Alertmanager sent something that is not a version 4 webhook payload."""

    status_code = 400
    code = "malformed_payload"


class IntakeNotConfigured(AppError):
    status_code = 503
    code = "intake_not_configured"


class SilenceFailed(AppError):
    """Alertmanager did not accept the silence (unreachable, or it refused)."""

    status_code = 502
    code = "silence_failed"
