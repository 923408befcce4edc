"""The records layer's own tables: the audit log and the change log pulls read.

Every write of a synced record leaves a row in each (server/records/versioning.py):
an audit entry, and the record's latest change in its scope (server/records/changelog.py).
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import BigInt, UTCDateTime
from ..common.timeutil import utcnow
from ..extensions import db


class AuditEntry(db.Model):
    """Append-only. No code path updates or deletes these rows."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInt, primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    entity: Mapped[str | None] = mapped_column(String(30))
    record_id: Mapped[str | None] = mapped_column(String(40), index=True)
    changes: Mapped[dict | None] = mapped_column(JSON)
    client_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))


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
    # an upsert as a pull sends it, made by the writing transaction (server/records/wire.py);
    # None where the pull makes it (deletes, some entities, rows older than the format)
    wire: Mapped[str | None] = mapped_column(Text)
    wire_format: Mapped[str | None] = mapped_column(String(16))
