"""Gap-tolerant, concurrency-safe counters for human-facing numbers (SR-000123, INV-2026-0001)."""

from __future__ import annotations

from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from oversight.db.base import Base
from oversight.db.traits import Exempt, ModelTraits


class NumberSequence(Base):
    __tablename__ = "number_sequences"
    __traits__ = ModelTraits(
        scope=Exempt("counters, never read by a principal"),
        audit=Exempt("counters; the numbers they hand out are audited on their records"),
        kpi_input=False,
    )

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_value(session: Session, name: str) -> int:
    """The next value of counter `name`, created at 1 on first use.

    The UPDATE holds the counter's row lock until the transaction ends, so two writers
    never receive the same value; a rolled-back transaction gives its value back.
    """
    bump = (
        update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(last_value=NumberSequence.last_value + 1)
        .returning(NumberSequence.last_value)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        with session.begin_nested():
            session.execute(insert(NumberSequence).values(name=name, last_value=1))
    except IntegrityError:
        return int(session.execute(bump).scalar_one())
    return 1


def advance_to(session: Session, name: str, value: int) -> None:
    """Make sure counter `name` will next hand out a number above `value` (bulk loads)."""
    current = session.scalar(select(NumberSequence.last_value).where(NumberSequence.name == name))
    if current is None:
        session.execute(insert(NumberSequence).values(name=name, last_value=value))
    elif current < value:
        session.execute(
            update(NumberSequence).where(NumberSequence.name == name).values(last_value=value)
        )
