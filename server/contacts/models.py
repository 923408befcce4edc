import uuid
from datetime import date

from marshmallow import fields
from sqlalchemy import Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.choices import CONTACT_CHANNELS
from ..common.crypto import SECRET
from ..common.models import SyncRecord
from ..common.schemas import PastDate, PhoneNumber, choice, required_text, text
from ..extensions import db
from ..records.fields import by_server, parent, written
from .values import card_number_field


class ContactCard(SyncRecord, db.Model):
    __tablename__ = "contact_card"
    wire_entity = "contact_card"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True,
        info=parent(fields.UUID(required=True)),
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=by_server(fields.UUID()),
    )
    card_number: Mapped[str] = mapped_column(
        String(20), unique=True, nullable=False,
        info=written(card_number_field(allow_none=True), on_update=card_number_field()))
    issued_on: Mapped[date | None] = mapped_column(Date, info=written(PastDate()))
    work_city: Mapped[str | None] = mapped_column(
        String(60), info=written(text(60, allow_none=True)))
    work_province: Mapped[str | None] = mapped_column(
        String(30), info=written(text(30, allow_none=True)))
    employer: Mapped[str | None] = mapped_column(
        String(100), info=written(text(100, allow_none=True)))
    phone: Mapped[str | None] = mapped_column(
        String(20), info=written(PhoneNumber(allow_none=True)))
    emergency_contact: Mapped[str | None] = mapped_column(
        String(100), info=written(text(100, allow_none=True)))
    last_contact_on: Mapped[date | None] = mapped_column(
        Date, info=written(PastDate(allow_none=True)))
    # The token printed in the card's QR code (feedback issue); only its hash is kept.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, info=SECRET)


class ContactLog(SyncRecord, db.Model):
    __tablename__ = "contact_log"
    wire_entity = "contact_log"

    card_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("contact_card.id"), nullable=False, index=True,
        info=parent(fields.UUID(required=True)),
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=by_server(fields.UUID()),
    )
    contacted_on: Mapped[date] = mapped_column(
        Date, nullable=False, info=written(PastDate(required=True)))
    channel: Mapped[str] = mapped_column(
        String(10), nullable=False, info=written(choice(CONTACT_CHANNELS, required=True)))
    notes: Mapped[str] = mapped_column(Text, nullable=False, info=written(required_text(4000)))
