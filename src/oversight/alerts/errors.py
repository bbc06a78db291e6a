"""The alert hub's errors, each with its status code."""

from __future__ import annotations

from oversight.errors import AppError


class MalformedPayload(AppError):
    """Alertmanager sent something that is not a version 4 webhook payload."""

    status_code = 400
    code = "malformed_payload"


class IntakeNotConfigured(AppError):
    """No intake token is configured: no caller can present a valid one. 401 rather than a
    5xx — nothing is wrong with the server, the credential is missing."""

    status_code = 401
    code = "intake_not_configured"


class SilenceFailed(AppError):
    """Alertmanager did not accept the silence (unreachable, or it refused)."""

    status_code = 502
    code = "silence_failed"
