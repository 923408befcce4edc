import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import UTCDateTime
from ..common.timeutil import utcnow
from ..extensions import db


class ExportJob(db.Model):
    """One ledger export: asked for by a user, written to a file by a background job.

    The row, not the worker's memory, holds the status, so any server process can
    answer "how far is it" and serve the file.
    """

    __tablename__ = "export_job"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False,
                                         index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    filters: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    full_ids: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # queued -> running -> done | failed
    status: Mapped[str] = mapped_column(String(10), default="queued", nullable=False)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    ids_read: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    file_name: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
