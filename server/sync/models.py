import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import UTCDateTime
from ..common.timeutil import utcnow
from ..extensions import db

BigInt = BigInteger().with_variant(Integer, "sqlite")


class SyncScope(db.Model):
    """A partition of synced data with its own change counter.

    Keys: ``v:<village id>`` (everything about the people of a village),
    ``regions`` (the region tree), ``u:<user id>`` (a user's notifications).
    A writer bumps ``seq`` inside its transaction; the row lock it takes makes
    later writers of the same scope wait for its commit, so within a scope the
    order of ``seq`` is the order of commits and a cursor cannot skip a late one.
    """

    __tablename__ = "sync_scope"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    seq: Mapped[int] = mapped_column(BigInt, default=0, nullable=False)


class SyncChange(db.Model):
    """The latest change of one record in one scope (compacted: one row per record and scope)."""

    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_scope_seq", "scope_id", "seq"),)

    scope_id: Mapped[int] = mapped_column(ForeignKey("sync_scope.id"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(30), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInt, nullable=False)
    # "upsert", "delete" (tombstone) or "left" (the record moved out of this scope)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # an upsert as a pull sends it, made by the writing transaction (server/sync/wire.py);
    # None where the pull makes it (deletes, some entities, rows older than the format)
    wire: Mapped[str | None] = mapped_column(Text)
    wire_format: Mapped[str | None] = mapped_column(String(16))


class SyncClient(db.Model):
    """One app install of one user: its mutation counter and its telemetry."""

    __tablename__ = "sync_client"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    last_mutation_id: Mapped[int] = mapped_column(BigInt, default=0, nullable=False)
    app_version: Mapped[str | None] = mapped_column(String(30))
    schema_version: Mapped[int | None] = mapped_column(Integer)
    outbox_size: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(200))


class SyncMutation(db.Model):
    """What became of one mutation: kept so a retried push gets the same answer."""

    __tablename__ = "sync_mutation"

    client_id: Mapped[str] = mapped_column(ForeignKey("sync_client.id"), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(30), nullable=False)
    record_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    result: Mapped[dict] = mapped_column(JSON, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False,
                                                  index=True)


class SyncConflict(db.Model):
    """A field changed differently on a phone and on the server: kept for staff to decide."""

    __tablename__ = "sync_conflict"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    entity: Mapped[str] = mapped_column(String(30), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    mutation_id: Mapped[int] = mapped_column(BigInt, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    base_version: Mapped[int] = mapped_column(Integer, nullable=False)
    server_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # {field: {"mine": phone value, "server": server value}}
    fields: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[dict | None] = mapped_column(JSON)


class Attachment(db.Model):
    """A photo, stored in the database so backups hold it with the visit it belongs to."""

    __tablename__ = "attachment"
    # a user's uploads since a moment: the daily photo quota
    __table_args__ = (Index("ix_attachment_uploaded_by_created", "uploaded_by_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content_type: Mapped[str] = mapped_column(String(20), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class VisitPhoto(db.Model):
    """Which visit lists which photo. A visit may name a photo before its bytes arrive."""

    __tablename__ = "visit_photo"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visit.id"), primary_key=True)
    attachment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
