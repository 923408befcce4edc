import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import SyncRecord, UTCDateTime
from ..extensions import db


class Feedback(SyncRecord, db.Model):
    """Handled by staff: received -> assigned -> replied -> closed, within a deadline."""

    __tablename__ = "feedback"

    receipt_number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    card_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("contact_card.id"))
    beneficiary_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("beneficiary.id"))
    village_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("region.id"), index=True
    )
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="received", nullable=False)
    assigned_region_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("region.id"))
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Kept, but marked for staff: why it looks like a robot's ("honeypot", "duplicate").
    # Nothing a migrant sends is dropped silently (docs/feedback.md, abuse resistance).
    suspected: Mapped[str | None] = mapped_column(String(20))
    # SHA-256 of the text with its spacing collapsed: the same text sent again is found.
    text_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class FeedbackStamp(db.Model):
    """A form stamp that has been used: each stamp sends one feedback, once.

    Stamps are signed and handed out without writing (a GET stores nothing); the
    nonce is stored when the form it came with is received. Rows older than a
    stamp's lifetime are purged as new ones arrive.
    """

    __tablename__ = "feedback_stamp"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    feedback_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("feedback.id"))
