"""The job ledger: one row per job instance, and the reminders already sent."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import UTCDateTime
from ..common.timeutil import utcnow
from ..extensions import db


class JobRun(db.Model):
    """One instance of a job (its name and the instant it was scheduled for).

    The unique key is the lock: a scheduler inserts the row, in a transaction of
    its own, before it runs the instance; whoever fails the insert leaves the
    instance to the process that made it. The rows are also the operators' history.
    """

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job_name", "scheduled_for"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(40), nullable=False)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # running -> succeeded | failed (a failed instance is tried again, see runner.py)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runner: Mapped[str | None] = mapped_column(String(100))  # host:pid
    result: Mapped[dict | None] = mapped_column(JSON)  # what the job did, e.g. {"created": 12}
    error: Mapped[str | None] = mapped_column(Text)


class SentReminder(db.Model):
    """A reminder that went out, so the same occasion is never announced twice.

    ``subject`` names the record (e.g. a mediation case id), ``occasion`` the
    reason (e.g. "idle since 2026-03-02, 1st fortnight").
    """

    __tablename__ = "sent_reminder"
    __table_args__ = (UniqueConstraint("topic", "subject", "occasion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(30), nullable=False)
    subject: Mapped[str] = mapped_column(String(40), nullable=False)
    occasion: Mapped[str] = mapped_column(String(60), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
