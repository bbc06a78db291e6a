"""Every model, imported in one place so the metadata (and Alembic) sees the whole schema."""

from oversight.audit.models import (
    AuditArchivePermit,
    AuditChainHead,
    AuditEvent,
    AuditVerification,
)
from oversight.auth.models import (
    AuthSession,
    LoginFailure,
    LoginThrottle,
    RecoveryCode,
    RefreshToken,
    UserTotp,
)
from oversight.customers.models import Customer
from oversight.db.base import Base
from oversight.db.sequences import NumberSequence
from oversight.files.models import Attachment, Blob
from oversight.invoices.models import Invoice
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import CompletionApproval, ServiceRequest, WorkLog
from oversight.users.models import User

metadata = Base.metadata

__all__ = [
    "Attachment",
    "AuditArchivePermit",
    "AuditChainHead",
    "AuditEvent",
    "AuditVerification",
    "AuthSession",
    "Blob",
    "CompletionApproval",
    "Customer",
    "Invoice",
    "LoginFailure",
    "LoginThrottle",
    "NumberSequence",
    "Project",
    "ProjectCost",
    "RecoveryCode",
    "RefreshToken",
    "ServiceRequest",
    "User",
    "UserTotp",
    "WorkLog",
    "metadata",
]
