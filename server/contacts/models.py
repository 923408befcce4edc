import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.crypto import SECRET
from ..common.models import SyncRecord
from ..extensions import db


class ContactCard(SyncRecord, db.Model):
    __tablename__ = "contact_card"
    wire_entity = "contact_card"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    card_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    issued_on: Mapped[date | None] = mapped_column(Date)
    work_city: Mapped[str | None] = mapped_column(String(60))
    work_province: Mapped[str | None] = mapped_column(String(30))
    employer: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    emergency_contact: Mapped[str | None] = mapped_column(String(100))
    last_contact_on: Mapped[date | None] = mapped_column(Date)
    # The token printed in the card's QR code (feedback issue); only its hash is kept.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, info=SECRET)


class ContactLog(SyncRecord, db.Model):
    __tablename__ = "contact_log"
    wire_entity = "contact_log"

    card_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("contact_card.id"), nullable=False, index=True
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    contacted_on: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
