import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import SyncRecord
from ..extensions import db


class MediationCase(SyncRecord, db.Model):
    __tablename__ = "mediation_case"
    wire_entity = "mediation_case"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    parties: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="open", nullable=False)
    outcome: Mapped[str | None] = mapped_column(Text)
    referred_to: Mapped[str | None] = mapped_column(String(60))
    closed_on: Mapped[date | None] = mapped_column(Date)


class MediationSession(SyncRecord, db.Model):
    __tablename__ = "mediation_session"
    wire_entity = "mediation_session"

    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("mediation_case.id"), nullable=False, index=True
    )
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
