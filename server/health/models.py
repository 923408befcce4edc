import uuid
from datetime import date

from marshmallow import fields
from sqlalchemy import BigInteger, Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.choices import HEALTH_EVENT_KINDS, INSURANCE
from ..common.crypto import EncryptedText
from ..common.models import SyncRecord
from ..common.schemas import Fen, PastDate, choice, text
from ..extensions import db
from ..records.fields import shown, written


class HealthFile(SyncRecord, db.Model):
    """One per beneficiary. Conditions and medications are health data: encrypted at rest."""

    __tablename__ = "health_file"
    wire_entity = "health_file"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), unique=True, nullable=False,
        info=written(fields.UUID()),
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=shown(fields.UUID()),
    )
    conditions: Mapped[str | None] = mapped_column(
        EncryptedText, info=written(text(1000, allow_none=True)))
    disability: Mapped[str | None] = mapped_column(
        EncryptedText, info=written(text(200, allow_none=True)))
    insurance: Mapped[str | None] = mapped_column(
        String(30), info=written(choice(INSURANCE, allow_none=True)))
    family_doctor: Mapped[str | None] = mapped_column(
        String(60), info=written(text(60, allow_none=True)))
    medications: Mapped[str | None] = mapped_column(
        EncryptedText, info=written(text(1000, allow_none=True)))
    last_checkup: Mapped[date | None] = mapped_column(Date, info=written(PastDate(allow_none=True)))


class HealthEvent(SyncRecord, db.Model):
    __tablename__ = "health_event"
    wire_entity = "health_event"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True,
        info=written(fields.UUID(required=True)),
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=shown(fields.UUID()),
    )
    kind: Mapped[str] = mapped_column(
        String(20), nullable=False, info=written(choice(HEALTH_EVENT_KINDS, required=True)))
    occurred_on: Mapped[date] = mapped_column(
        Date, nullable=False, info=written(PastDate(required=True)))
    description: Mapped[str | None] = mapped_column(
        EncryptedText, info=written(text(2000, allow_none=True)))
    hospital: Mapped[str | None] = mapped_column(
        String(100), info=written(text(100, allow_none=True)))
    aid_amount_fen: Mapped[int | None] = mapped_column(
        BigInteger, info=written(Fen(allow_none=True)))
