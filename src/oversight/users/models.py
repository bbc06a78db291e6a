from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.columns import enum_column
from oversight.db.encrypted import EncryptedField, EncryptedRow
from oversight.db.traits import Audited, Exempt, ModelTraits
from oversight.db.types import Hours
from oversight.security.fieldcrypt import normalise_email
from oversight.vocabulary import Role


class User(EncryptedRow, Timestamped, Base):
    """A person who signs in: staff of any role, or a client contact tied to one customer.

    Name, e-mail and phone are encrypted (oversight.db.encrypted): a client's account carries
    the name of the customer's contact person. The e-mail has a blind index for lookups.
    """

    __tablename__ = "users"
    __traits__ = ModelTraits(
        scope=Exempt(
            "guarded by the users permission; analytics lists engineers through "
            "oversight.auth.scope.visible_engineers"
        ),
        audit=Audited("user", secret=frozenset({"password_hash"}), history="users"),
        kpi_input=True,
    )
    __table_args__ = (
        CheckConstraint(
            "(role = 'client' AND customer_id IS NOT NULL)"
            " OR (role <> 'client' AND customer_id IS NULL)",
            name="client_has_customer",
        ),
        CheckConstraint("weekly_capacity_hours >= 0", name="capacity_not_negative"),
        CheckConstraint("cost_rate >= 0", name="cost_rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    weekly_capacity_hours: Mapped[Decimal | None] = mapped_column(Hours())
    cost_rate: Mapped[Decimal | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set by an administrator's temporary password: every route but changing it is refused.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    full_name_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_bidx: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)

    full_name = EncryptedField()
    email = EncryptedField(normalise=normalise_email)
    phone = EncryptedField()
