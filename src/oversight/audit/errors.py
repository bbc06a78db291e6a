"""Errors of the audit trail."""

from __future__ import annotations

from oversight.errors import AppError


class AuditChainInconsistent(AppError):
    """The chain has rows its recorded head does not account for, so a new event has no
    position it could take without forking the chain. Writes (which must leave an event)
    are refused with 503 until an administrator resolves it (OPERATIONS.md, "Audit chain
    inconsistent"); reads that leave no event keep working."""

    status_code = 503
    code = "audit_chain_inconsistent"

    def __init__(self, position: int) -> None:
        super().__init__(
            "the audit trail is inconsistent (events exist past its recorded head), so changes "
            "cannot be recorded and are refused until an administrator resolves it; "
            "run `oversight audit verify`",
            details={"position": position},
        )
        self.position = position
