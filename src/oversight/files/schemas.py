from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from oversight.files.models import PreviewState, Tier


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by_id: int | None
    uploaded_at: datetime
    tier: Tier
    preview_state: PreviewState
    preview_reason: str | None


class AttachmentLinks(BaseModel):
    """Signed links, usable without the bearer token until `expires_at`."""

    download_url: str
    preview_url: str | None
    expires_at: datetime
