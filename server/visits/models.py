import uuid
from datetime import date, datetime

from marshmallow import fields, validate
from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy import text as text_sql
from sqlalchemy.orm import Mapped, mapped_column

from ..common.choices import VISIT_TYPES
from ..common.crypto import EncryptedJSON, EncryptedText
from ..common.models import SyncRecord, UTCDateTime
from ..common.schemas import PastDate, choice, required_text, text
from ..common.timeutil import utcnow
from ..extensions import db
from ..policies.values import explained_field
from ..records.fields import by_server, shown, written
from .values import MAX_PHOTOS, MAX_SERVICES, LocationSchema

NONE = text_sql("'[]'")  # a list column's default in the database (bulk writes omit it)


class Visit(SyncRecord, db.Model):
    __tablename__ = "visit"
    wire_entity = "visit"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, index=True,
        info=written(fields.UUID(required=True)))
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True, info=by_server(fields.UUID()))
    liaison_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False,
                                            info=by_server(fields.Integer()))
    visit_type: Mapped[str] = mapped_column(String(12), nullable=False, index=True,
                                            info=written(choice(VISIT_TYPES, required=True)))
    visited_on: Mapped[date] = mapped_column(Date, nullable=False, index=True,
                                             info=written(PastDate(required=True)))
    # What was seen and done on a visit is health data as often as not (a sick visit's
    # illness and treatment, a monthly visit's health notes, the summary): encrypted at
    # rest, and by the same declaration redacted in the audit log and sealed in sync's
    # own tables.
    summary: Mapped[str] = mapped_column(EncryptedText, nullable=False,
                                         info=written(required_text(4000)))
    needs: Mapped[str | None] = mapped_column(EncryptedText,
                                              info=written(text(2000, allow_none=True)))
    actions: Mapped[str | None] = mapped_column(EncryptedText,
                                                info=written(text(2000, allow_none=True)))
    follow_up_due: Mapped[date | None] = mapped_column(
        Date, info=written(fields.Date(allow_none=True)))
    # what the visit type records beyond the common fields (server/visits/values.py)
    details: Mapped[dict] = mapped_column(EncryptedJSON, default=dict, nullable=False,
                                          info=written(fields.Dict(keys=fields.String())))
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("mediation_case.id"), info=written(fields.UUID(allow_none=True)))
    photo_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False, info=written(
        fields.List(fields.UUID(),
                    validate=validate.Length(max=MAX_PHOTOS, error="最多 {max} 张照片"))))
    location: Mapped[dict | None] = mapped_column(
        JSON, info=written(fields.Nested(LocationSchema, allow_none=True)))
    # 政策宣传: the policies explained (picked from the library on the phone), and the
    # 便民服务 done for the person (codes of the county's list, LIANXIN_SERVICES)
    policies_explained: Mapped[list] = mapped_column(
        JSON, default=list, server_default=NONE, nullable=False, info=written(explained_field()))
    services: Mapped[list] = mapped_column(
        JSON, default=list, server_default=NONE, nullable=False, info=written(fields.List(
            fields.String(validate=validate.Length(max=20)),
            validate=validate.Length(max=MAX_SERVICES, error="最多 {max} 项便民服务"))))
    review_status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False,
                                               info=by_server(fields.String()))
    review_comment: Mapped[str | None] = mapped_column(
        Text, info=by_server(fields.String(allow_none=True)))
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), info=by_server(fields.Integer(allow_none=True)))
    reviewed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=by_server(fields.DateTime(allow_none=True)))


class VisitTask(SyncRecord, db.Model):
    """'This person is due a visit': monthly ones per period, follow-ups per visit."""

    __tablename__ = "visit_task"
    __table_args__ = (
        UniqueConstraint("beneficiary_id", "kind", "period", "source_visit_id"),
        Index("ix_visit_task_period_kind", "period", "kind"),
        # a visit finds the follow-ups it asked for and the tasks it closed on every save;
        # most tasks name neither (migration 0016), so only those that do are indexed
        *(Index(f"ix_visit_task_{column}", column, postgresql_where=text_sql(f"{column} IS NOT NULL"),
                sqlite_where=text_sql(f"{column} IS NOT NULL"))
          for column in ("source_visit_id", "done_visit_id")),
        # the nightly overdue sweep
        Index("ix_visit_task_status_due_on", "status", "due_on"),
    )
    wire_entity = "visit_task"

    # looked up by the unique key's first column (no index of its own: migration 0016)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("beneficiary.id"), nullable=False, info=shown(fields.UUID()))
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True, info=shown(fields.UUID()))
    kind: Mapped[str] = mapped_column(String(12), nullable=False, info=shown(fields.String()))
    # YYYY-MM of due_on
    period: Mapped[str] = mapped_column(String(7), nullable=False, info=shown(fields.String()))
    due_on: Mapped[date] = mapped_column(Date, nullable=False, info=shown(fields.Date()))
    status: Mapped[str] = mapped_column(String(10), default="due", nullable=False,
                                        info=shown(fields.String()))
    source_visit_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("visit.id"), info=shown(fields.UUID(allow_none=True)))
    done_visit_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("visit.id"), info=shown(fields.UUID(allow_none=True)))
    overdue_days: Mapped[int] = mapped_column(Integer, default=0, nullable=False,
                                              info=shown(fields.Integer()))


class Attachment(db.Model):
    """A photo's metadata; its bytes are a file of the photo store (server/visits/photos.py),
    named by ``file_key`` (the SHA-256 of the stored, re-encoded bytes; ``sha256`` is the
    hash of what the phone sent). Two attachments of the same bytes name one file."""

    __tablename__ = "attachment"
    # a user's uploads since a moment: the daily photo quota
    __table_args__ = (Index("ix_attachment_uploaded_by_created", "uploaded_by_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content_type: Mapped[str] = mapped_column(String(20), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    # whether a file is still named (before the purge deletes it)
    file_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class VisitPhoto(db.Model):
    """Which visit lists which photo. A visit may name a photo before its bytes arrive."""

    __tablename__ = "visit_photo"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visit.id"), primary_key=True)
    attachment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
