"""The files package's refusals, each with its HTTP status (rendered by the one handler)."""

from __future__ import annotations

from oversight.errors import AppError


class FileTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedFile(AppError):
    status_code = 415
    code = "unsupported_media_type"


class BadUpload(AppError):
    status_code = 422
    code = "invalid_upload"


class TooManyAttachments(AppError):
    status_code = 409
    code = "too_many_attachments"


class LinkRefused(AppError):
    status_code = 403
    code = "link_refused"


class FileUnavailable(AppError):
    status_code = 503
    code = "file_unavailable"


class NoSpaceForFiles(AppError):
    """The hot folder's disk is full (or its quota spent): the upload is refused whole."""

    status_code = 507
    code = "insufficient_storage"
