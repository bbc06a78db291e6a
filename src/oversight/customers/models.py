from __future__ import annotations

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.encrypted import EncryptedField, EncryptedRow
from oversight.db.traits import SCOPED, Audited, ModelTraits
from oversight.security.fieldcrypt import normalise_email, normalise_phone


class Customer(EncryptedRow, Timestamped, Base):
    """A client company and its contact person (whose name, phone and e-mail are encrypted)."""

    __tablename__ = "customers"
    __traits__ = ModelTraits(
        scope=SCOPED, audit=Audited("customer", history="customers"), kpi_input=True
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(Text)

    contact_person_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_bidx: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_bidx: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)

    contact_person = EncryptedField()
    phone = EncryptedField(normalise=normalise_phone)
    email = EncryptedField(normalise=normalise_email)
