"""Column types and the mixin every synced record shares."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .timeutil import utcnow

# A 64-bit integer on PostgreSQL; SQLite's INTEGER is 64-bit already (and only an
# INTEGER PRIMARY KEY auto-increments).
BigInt = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zone type, so naive values read back are known to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SyncRecord:
    """A record a phone may hold: client-made UUID, server version, UTC stamps, soft delete.

    ``field_versions`` remembers, per field, the version that last changed it, so
    a sync mutation based on an older version can be merged field by field.
    """

    #: the entity name on the sync wire (SYNC.md "Entities on the wire")
    wire_entity: str = ""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    field_versions: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)

    @property
    def is_deleted(self):
        return self.deleted_at is not None
