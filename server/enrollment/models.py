import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.models import UTCDateTime
from ..extensions import db


class EnrollmentSlip(db.Model):
    """One printed login slip of a liaison: its one-time code, kept only as a keyed hash
    (server/enrollment/codes.py), and what became of it.

    Used once, the slip is bound to that phone (``used_client_id``): the same code from
    another phone is refused, so a slip photographed after use opens nothing.
    """

    __tablename__ = "enrollment_slip"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True,
                                         nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_client_id: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("user_account.id"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    def state(self, now):
        """valid / used / expired / revoked, as the staff screen shows it."""
        if self.revoked_at is not None:
            return "revoked"
        if self.used_at is not None:
            return "used"
        if now >= self.expires_at:
            return "expired"
        return "valid"
