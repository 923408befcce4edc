import uuid
from datetime import date

from marshmallow import fields
from sqlalchemy import Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.choices import MEDIATION_KINDS, MEDIATION_STATUS
from ..common.models import SyncRecord
from ..common.schemas import PastDate, choice, required_text, text
from ..extensions import db
from ..records.fields import by_server, parent, written


class MediationCase(SyncRecord, db.Model):
    __tablename__ = "mediation_case"
    wire_entity = "mediation_case"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True,
        info=parent(fields.UUID(required=True)),
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=by_server(fields.UUID()),
    )
    kind: Mapped[str] = mapped_column(
        String(20), nullable=False, info=written(choice(MEDIATION_KINDS, required=True)))
    parties: Mapped[str] = mapped_column(Text, nullable=False, info=written(required_text(500)))
    description: Mapped[str | None] = mapped_column(Text, info=written(text(4000, allow_none=True)))
    opened_on: Mapped[date] = mapped_column(Date, nullable=False, info=written(PastDate()))
    status: Mapped[str] = mapped_column(
        String(10), default="open", nullable=False, info=written(choice(MEDIATION_STATUS)))
    outcome: Mapped[str | None] = mapped_column(Text, info=written(text(2000, allow_none=True)))
    referred_to: Mapped[str | None] = mapped_column(
        String(60), info=written(text(60, allow_none=True)))
    closed_on: Mapped[date | None] = mapped_column(
        Date, info=by_server(fields.Date(allow_none=True)))


class MediationSession(SyncRecord, db.Model):
    __tablename__ = "mediation_session"
    wire_entity = "mediation_session"

    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("mediation_case.id"), nullable=False, index=True,
        info=parent(fields.UUID(required=True)),
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=by_server(fields.UUID()),
    )
    held_on: Mapped[date] = mapped_column(
        Date, nullable=False, info=written(PastDate(required=True)))
    notes: Mapped[str] = mapped_column(Text, nullable=False, info=written(required_text(4000)))
