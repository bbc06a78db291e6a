"""Who hears about an alert: the severity's route from the settings, resolved to contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from oversight.alerts import oncall
from oversight.config import Contact, Settings, Target
from oversight.config.alerts import SeverityRoute


@dataclass(frozen=True, slots=True)
class Recipient:
    target: Target
    contact: Contact


def route_for(settings: Settings, severity: str) -> SeverityRoute:
    routes = settings.alerts.routes
    return routes.get(severity) or routes[settings.alerts.unknown_severity]


def recipient(
    session: Session, settings: Settings, target: Target, now: datetime
) -> Recipient | None:
    """The contact behind `target` at `now`; None when nobody is named for it."""
    alerts = settings.alerts
    contact: Contact | None
    if target is Target.oncall:
        rotation = oncall.resolve(session, settings, now)
        contact = rotation.person if rotation else None
    elif target is Target.oncall_chat:
        contact = alerts.oncall_chat
    elif target in (Target.quiet_chat, Target.digest):
        contact = alerts.quiet_chat
    else:
        contact = alerts.admin
    return Recipient(target, contact) if contact is not None else None


def contact_named(session: Session, settings: Settings, target: str, name: str) -> Contact | None:
    """The contact a stored notification was addressed to (by target and name), as the
    rotation and settings describe it now; None if it has been removed since."""
    alerts = settings.alerts
    fixed: dict[str, tuple[Contact | None, ...]] = {
        Target.oncall_chat.value: (alerts.oncall_chat,),
        Target.quiet_chat.value: (alerts.quiet_chat,),
        Target.digest.value: (alerts.quiet_chat,),
        Target.admin.value: (alerts.admin,),
    }
    candidates = fixed.get(target) or oncall.known_contacts(session, settings)
    return next((c for c in candidates if c is not None and c.name == name), None)
