import uuid
from datetime import date, datetime

from marshmallow import fields, validate
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import BigInt, SyncRecord, UTCDateTime
from ..common.schemas import PastDate, required_text, text
from ..extensions import db
from ..records.fields import by_server, parent, shown, written
from .values import explained_field


class Policy(SyncRecord, db.Model):
    """A policy as phones and the public read it: the current version, rendered.

    Staff write revisions (:class:`PolicyRevision`, the Markdown an author typed); the
    policy holds what the latest one renders to. A withdrawn policy is soft-deleted,
    so phones drop it; its revisions stay.
    """

    __tablename__ = "policy"
    wire_entity = "policy"

    title: Mapped[str] = mapped_column(String(80), nullable=False, info=shown(fields.String()))
    title_initials: Mapped[str | None] = mapped_column(
        String(40), info=shown(fields.String(allow_none=True)))
    category: Mapped[str] = mapped_column(String(20), nullable=False,
                                          info=shown(fields.String()))
    summary: Mapped[str] = mapped_column(String(300), nullable=False,
                                         info=shown(fields.String()))
    # Safe HTML made by the server from the author's Markdown (server/policies/rendering.py)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, info=shown(fields.String()))
    effective_on: Mapped[date | None] = mapped_column(
        Date, info=shown(fields.Date(allow_none=True)))
    withdrawn_on: Mapped[date | None] = mapped_column(
        Date, info=shown(fields.Date(allow_none=True)))
    has_pdf: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False,
                                          info=shown(fields.Boolean()))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False,
                                                   info=shown(fields.DateTime()))


class PolicyRevision(db.Model):
    """One published version of a policy, as its author wrote it. Append-only."""

    __tablename__ = "policy_revision"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("policy.id"), nullable=False,
                                                 index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # the policy's, once made
    title: Mapped[str] = mapped_column(String(80), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)  # Markdown, no HTML
    effective_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PolicyDocument(db.Model):
    """The policy's PDF (the printed reader's page), served at /f/policies/<id>.pdf."""

    __tablename__ = "policy_document"

    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("policy.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    file_name: Mapped[str | None] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


MAX_ATTENDEES = 500
MAX_HEADCOUNT = 5000


class OutreachMeeting(SyncRecord, db.Model):
    """A village's policy outreach as a group meeting (宣讲会, 院坝会): when, where, which
    policies, who of the village's people came, how many came in all."""

    __tablename__ = "outreach_meeting"
    wire_entity = "outreach_meeting"

    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=parent(fields.UUID(required=True)))
    liaison_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False,
                                            info=by_server(fields.Integer()))
    held_on: Mapped[date] = mapped_column(Date, nullable=False, index=True,
                                          info=written(PastDate(required=True)))
    place: Mapped[str] = mapped_column(String(100), nullable=False,
                                       info=written(required_text(100)))
    policies_explained: Mapped[list] = mapped_column(
        JSON, default=list, nullable=False, info=written(explained_field(least=1)))
    # the village's people who were there, ticked from its list
    attendee_ids: Mapped[list] = mapped_column(
        JSON, default=list, nullable=False, info=written(fields.List(
            fields.UUID(), validate=validate.Length(
                max=MAX_ATTENDEES, error="最多勾选 {max} 人"))))
    headcount: Mapped[int] = mapped_column(
        Integer, nullable=False, info=written(fields.Integer(
            required=True, validate=validate.Range(
                min=1, max=MAX_HEADCOUNT, error="到场人数须在 {min} 至 {max} 之间"))))
    notes: Mapped[str | None] = mapped_column(
        Text, info=written(text(1000, allow_none=True)))
