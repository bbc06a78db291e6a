from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.columns import enum_column
from oversight.db.types import Hours
from oversight.vocabulary import Role


class User(Timestamped, Base):
    """A person who signs in: staff of any role, or a client contact tied to one customer."""

    __tablename__ = "users"
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
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    weekly_capacity_hours: Mapped[Decimal | None] = mapped_column(Hours())
    cost_rate: Mapped[Decimal | None]
    is_active: Mapped[bool] = mapped_column(default=True)
