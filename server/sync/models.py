import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import BigInt, UTCDateTime
from ..common.timeutil import utcnow
from ..extensions import db


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


