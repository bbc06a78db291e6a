"""Every model, imported in one place so the metadata (and Alembic) sees the whole schema."""

from oversight.alerts.models import (
    Alert,
    AlertNotification,
    AlertSilence,
    AlertStatusChange,
    DeliveryAttempt,
    OnCallMember,
    OnCallOverride,
    OnCallRotation,
)
from oversight.audit.models import (
    AuditArchivePermit,
    AuditChainHead,
    AuditEvent,
    AuditVerification,
)
from oversight.auth.models import (
    AuthSession,
    EnrolmentToken,
    LoginFailure,
    LoginThrottle,
    RecoveryCode,
    RefreshToken,
    User,
    UserTotp,
)
from oversight.customers.models import Customer
from oversight.db.base import Base
from oversight.db.sequences import NumberSequence
from oversight.files.models import Attachment, Blob
from oversight.invoices.models import Invoice
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import CompletionApproval, ServiceRequest, WorkLog
from oversight.storage_monitor.models import StorageSnapshot
from oversight.telegram.models import TelegramLink, TelegramLinkCode

metadata = Base.metadata

__all__ = [
    "Alert",
    "AlertNotification",
    "AlertSilence",
    "AlertStatusChange",
    "Attachment",
    "AuditArchivePermit",
    "AuditChainHead",
    "AuditEvent",
    "AuditVerification",
    "AuthSession",
    "Blob",
    "CompletionApproval",
    "Customer",
    "DeliveryAttempt",
    "EnrolmentToken",
    "Invoice",
    "LoginFailure",
    "LoginThrottle",
    "NumberSequence",
    "OnCallMember",
    "OnCallOverride",
    "OnCallRotation",
    "Project",
    "ProjectCost",
    "RecoveryCode",
    "RefreshToken",
    "ServiceRequest",
    "StorageSnapshot",
    "TelegramLink",
    "TelegramLinkCode",
    "User",
    "UserTotp",
    "WorkLog",
    "metadata",
]
