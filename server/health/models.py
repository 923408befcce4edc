import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.crypto import EncryptedText
from ..common.models import SyncRecord
from ..extensions import db


class HealthFile(SyncRecord, db.Model):
    """One per beneficiary. Conditions and medications are health data: encrypted at rest."""

    __tablename__ = "health_file"
    wire_entity = "health_file"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), unique=True, nullable=False
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    conditions: Mapped[str | None] = mapped_column(EncryptedText)
    disability: Mapped[str | None] = mapped_column(EncryptedText)
    insurance: Mapped[str | None] = mapped_column(String(30))
    family_doctor: Mapped[str | None] = mapped_column(String(60))
    medications: Mapped[str | None] = mapped_column(EncryptedText)
    last_checkup: Mapped[date | None] = mapped_column(Date)


class HealthEvent(SyncRecord, db.Model):
    __tablename__ = "health_event"
    wire_entity = "health_event"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str | None] = mapped_column(EncryptedText)
    hospital: Mapped[str | None] = mapped_column(String(100))
    aid_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
