import uuid
from datetime import date, datetime

from marshmallow import fields
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.choices import FEEDBACK_CATEGORIES
from ..common.models import SyncRecord, UTCDateTime
from ..common.schemas import PastDate, choice, required_text
from ..extensions import db
from ..records.fields import by_server, parent, written

# The longest text a feedback holds: a migrant's form and a liaison's opinion alike.
TEXT_MAX = 2000


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
    # Where it came from (FEEDBACK_SOURCES): "form" — the public form, the public API, a
    # 连心卡 QR code; "liaison" — a villager's opinion a liaison recorded (an Opinion).
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="form",
                                        server_default="form", index=True)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


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


class Opinion(SyncRecord, db.Model):
    """A villager's opinion, request or complaint as a liaison recorded it on the phone.

    Stored, it is also a Feedback (source "liaison") that staff handle as any migrant's
    form; the opinion is the phone's side of it: what the liaison wrote, and the
    feedback's status and reply mirrored onto it (server/feedback/operations.py
    ``mirror_to_opinion``) so the reply reaches the phone. The liaison marks it 已转告
    (``relayed_on``) once they have carried the reply to the villager.
    """

    __tablename__ = "opinion"
    wire_entity = "opinion"

    beneficiary_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), index=True,
        info=parent(fields.UUID(load_default=None, allow_none=True)),
    )
    anonymous: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, info=written(fields.Boolean(load_default=False)))
    category: Mapped[str] = mapped_column(
        String(20), nullable=False, info=written(choice(FEEDBACK_CATEGORIES, required=True)))
    text: Mapped[str] = mapped_column(Text, nullable=False, info=written(required_text(TEXT_MAX)))
    collected_on: Mapped[date] = mapped_column(
        Date, nullable=False, info=written(PastDate(required=True)))
    # 已转告: the day the liaison told the villager the reply
    relayed_on: Mapped[date | None] = mapped_column(
        Date, info=written(PastDate(load_default=None, allow_none=True)))
    # the person's village; the liaison's own when the person is not named
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True, info=by_server(fields.UUID()))
    liaison_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), nullable=False, info=by_server(fields.Integer()))
    feedback_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("feedback.id"), unique=True, nullable=False,
        info=by_server(fields.UUID()))
    # mirrored from the feedback
    receipt_number: Mapped[str] = mapped_column(
        String(20), nullable=False, info=by_server(fields.String()))
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default="received", info=by_server(fields.String()))
    deadline: Mapped[date] = mapped_column(Date, nullable=False, info=by_server(fields.Date()))
    reply: Mapped[str | None] = mapped_column(
        Text, info=by_server(fields.String(allow_none=True)))
    replied_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=by_server(fields.DateTime(allow_none=True)))
