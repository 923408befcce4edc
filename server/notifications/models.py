from marshmallow import fields
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..common.models import SyncRecord
from ..extensions import db
from ..records.fields import shown, written


class Notification(SyncRecord, db.Model):
    __tablename__ = "notification"
    wire_entity = "notification"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, info=shown(fields.String()))
    title: Mapped[str] = mapped_column(String(100), nullable=False, info=shown(fields.String()))
    body: Mapped[str] = mapped_column(Text, nullable=False, info=shown(fields.String()))
    read: Mapped[bool] = mapped_column(
        Boolean, default=False, nullable=False, info=written(fields.Boolean(required=True)))
    link: Mapped[str | None] = mapped_column(
        String(200), info=shown(fields.String(allow_none=True)))
