import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import UTCDateTime
from ..common.timeutil import utcnow
from ..extensions import db


class RosterImport(db.Model):
    """One roster upload, checked (a dry run) or applied, by a background job.

    The row holds the status and the progress, so any server process can report them;
    the upload itself is kept as a file under the instance folder (``stored_file``),
    so a dry run's upload is applied without sending it again. ``user_id`` is empty
    for an import run from the command line (the system's own)."""

    __tablename__ = "roster_import"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # the dry run this import applies
    applied_from_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("roster_import.id"))
    # queued -> running -> done | failed
    status: Mapped[str] = mapped_column(String(10), default="queued", nullable=False)
    file_name: Mapped[str] = mapped_column(String(200), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    file_size: Mapped[int] = mapped_column(Integer, nullable=False)
    stored_file: Mapped[str] = mapped_column(String(80), nullable=False)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    unchanged: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    refused: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # the first problems, [{row, column, message}], and how many there were in all
    errors: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    errors_total: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    has_report: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # the file-level problem (a Chinese sentence) of a failed job
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
