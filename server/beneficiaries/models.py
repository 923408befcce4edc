import uuid
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.crypto import SECRET
from ..common.models import SyncRecord
from ..extensions import db


class Beneficiary(SyncRecord, db.Model):
    __tablename__ = "beneficiary"
    wire_entity = "beneficiary"

    name: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    sex: Mapped[str] = mapped_column(String(6), nullable=False)
    birth_date: Mapped[date | None] = mapped_column(Date)
    # The number itself is only stored encrypted; the keyed hash serves exact lookups and
    # uniqueness, the masked form (the first 4 digits only: server/common/idnumbers.py)
    # serves every list without decrypting.
    id_number_encrypted: Mapped[str] = mapped_column(Text, nullable=False, info=SECRET)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False,
                                                info=SECRET)
    id_number_masked: Mapped[str] = mapped_column(String(18), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True
    )
    address: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30), nullable=False)
    disability_grade: Mapped[int | None] = mapped_column(Integer)
    is_five_elders: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="active", nullable=False)
    is_migrant: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    work_city: Mapped[str | None] = mapped_column(String(60))
    notes: Mapped[str | None] = mapped_column(Text)
