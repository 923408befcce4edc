"""Small, explicit builders for test data (the demo seed is tested on its own)."""

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from server.beneficiaries.operations import create_beneficiary
from server.common.idnumbers import IdNumber
from server.common.timeutil import utcnow
from server.extensions import db
from server.feedback import abuse
from server.records.models import AuditEntry
from server.regions.models import Region
from server.users.models import User
from server.users.operations import create_user

PASSWORD = "Lianxin-test-2026"

# key -> (code, name, level, parent key)
REGIONS = {
    "C": ("510800", "测试县", "county", None),
    "T1": ("510801", "一号镇", "township", "C"),
    "T2": ("510802", "二号镇", "township", "C"),
    "V11": ("510801001", "一号镇甲村", "village", "T1"),
    "V12": ("510801002", "一号镇乙村", "village", "T1"),
    "V21": ("510802001", "二号镇丙村", "village", "T2"),
}

# username -> (role, region key)
USERS = {
    "admin": ("admin", "C"),
    "county1": ("county_officer", "C"),
    "township1": ("township_officer", "T1"),
    "township2": ("township_officer", "T2"),
    "liaison1": ("liaison", "V11"),
    "liaison2": ("liaison", "V12"),
    "liaison3": ("liaison", "V21"),
}


@dataclass
class CountyIds:
    regions: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def build_county():
    from server.records.versioning import create_record

    ids = {}
    for key, (code, name, level, parent) in REGIONS.items():
        region = create_record(
            Region(code=code, name=name, level=level, parent_id=ids.get(parent)), None
        )
        ids[key] = region.id
    for username, (role, region_key) in USERS.items():
        create_user(username=username, password=PASSWORD, role=role,
                    region_id=ids[region_key], display_name=username)


def county_ids():
    regions = {
        key: db.session.scalar(select(Region.id).where(Region.code == code))
        for key, (code, *_rest) in REGIONS.items()
    }
    users = {name: db.session.scalar(select(User.id).where(User.username == name)) for name in USERS}
    return CountyIds(regions, users)


_sequence = itertools.count(1)


def id_number(birth=date(1960, 5, 4), male=True):
    serial = next(_sequence) * 2 % 1000 + (1 if male else 0)
    return IdNumber.compose("510822", birth, serial).digits


def stored_id_number(record):
    """The full number a beneficiary has, as stored: what a test compares (no person reads
    it here, so not through the audited reveal)."""
    return IdNumber.from_ciphertext(record.id_number_encrypted).digits


def beneficiary_values(village_id, **overrides):
    values = {
        "name": "张三",
        "id_number": id_number(),
        "village_id": village_id,
        "category": "demobilized_veteran",
        "phone": "13800138000",
        "address": "一组 12 号",
    }
    values.update(overrides)
    return values


def beneficiary(village_id, actor, **overrides):
    record = create_beneficiary(beneficiary_values(village_id, **overrides), actor)
    db.session.commit()
    return record


def row(model, record_id):
    """The row of ``model`` with that id (given as UUID or text)."""
    return db.session.get(model, uuid.UUID(str(record_id)))


def audit_rows(record_id, action=None):
    """The audit rows of one record, oldest first."""
    statement = select(AuditEntry).where(AuditEntry.record_id == str(record_id))
    if action:
        statement = statement.where(AuditEntry.action == action)
    return db.session.scalars(statement.order_by(AuditEntry.id)).all()


def public_stamp(waited=60):
    """A public form's stamp handed out ``waited`` seconds ago (the fill time passed)."""
    return abuse.form_stamp(utcnow() - timedelta(seconds=waited))


def image_bytes(image_format="PNG", size=(16, 12), exif=None):
    """A real, unique little image (random pixels) in ``image_format``: uploads are
    decoded, so a photo in a test must be one."""
    import io
    import os

    from PIL import Image

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, format=image_format, **options)
    return out.getvalue()
