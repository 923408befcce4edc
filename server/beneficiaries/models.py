import uuid
from datetime import date

from marshmallow import fields, validate
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..common.choices import BENEFICIARY_CATEGORIES, BENEFICIARY_STATUS, SEX
from ..common.crypto import SECRET
from ..common.models import SyncRecord
from ..common.schemas import IdNumber, PastDate, PhoneNumber, choice, required_text, text
from ..extensions import db
from ..records.fields import by_server, written


class Beneficiary(SyncRecord, db.Model):
    __tablename__ = "beneficiary"
    wire_entity = "beneficiary"

    name: Mapped[str] = mapped_column(
        String(40), nullable=False, index=True, info=written(required_text(40)))
    # the name's pinyin initials (张国强 -> zgq) for the phone's search: set by the
    # server whenever the name is (server/common/pinyin.py)
    name_initials: Mapped[str | None] = mapped_column(
        String(40), info=by_server(fields.String(allow_none=True)))
    sex: Mapped[str] = mapped_column(String(6), nullable=False, info=written(choice(SEX)))
    birth_date: Mapped[date | None] = mapped_column(Date, info=written(PastDate(allow_none=True)))
    # The number itself is only stored encrypted; the keyed hash serves exact lookups and
    # uniqueness, the masked form (the first 4 digits only: server/common/idnumbers.py)
    # serves every list without decrypting.
    id_number_encrypted: Mapped[str] = mapped_column(Text, nullable=False, info=SECRET)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False,
                                                info=SECRET)
    id_number_masked: Mapped[str] = mapped_column(
        String(18), nullable=False, info=written(IdNumber(required=True), name="id_number"))
    phone: Mapped[str | None] = mapped_column(
        String(20), info=written(PhoneNumber(allow_none=True)))
    village_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("region.id"), nullable=False, index=True,
        info=written(fields.UUID(required=True)),
    )
    address: Mapped[str | None] = mapped_column(
        String(200), info=written(text(200, allow_none=True)))
    category: Mapped[str] = mapped_column(
        String(30), nullable=False, info=written(choice(BENEFICIARY_CATEGORIES, required=True)))
    disability_grade: Mapped[int | None] = mapped_column(
        Integer, info=written(fields.Integer(validate=validate.Range(1, 10), allow_none=True)))
    is_five_elders: Mapped[bool] = mapped_column(
        Boolean, default=False, nullable=False, info=written(fields.Boolean()))
    status: Mapped[str] = mapped_column(
        String(10), default="active", nullable=False, info=written(choice(BENEFICIARY_STATUS)))
    is_migrant: Mapped[bool] = mapped_column(
        Boolean, default=False, nullable=False, info=written(fields.Boolean()))
    work_city: Mapped[str | None] = mapped_column(
        String(60), info=written(text(60, allow_none=True)))
    notes: Mapped[str | None] = mapped_column(Text, info=written(text(2000, allow_none=True)))
