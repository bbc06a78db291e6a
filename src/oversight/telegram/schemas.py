"""API schemas of the bot's endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LinkCodeRead(BaseModel):
    """A one-time link code, shown once: the user sends `/link <code>` to the bot."""

    code: str
    expires_at: datetime
