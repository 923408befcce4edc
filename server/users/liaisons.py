"""Liaison accounts in bulk: one per village, from the region tree or from a sheet.

A county has some 528 villages and one liaison each; typing 528 accounts is not a job
for a clerk. Each account is made by :func:`operations.create_user` (its rules, its
audit row) without a password: the liaison signs in with an enrollment slip
(server/enrollment), whose QR code is the login; nobody ever sees a password. The
username follows from the village code (``lx510822101201``), so it reads back to the
village, and a second account for the same village gets ``-2``.

A village that already has an active liaison is skipped, never given a second one.
A dry run reports what would be made, and every problem of a sheet by row and column.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from .. import scope
from ..common.validators import normalize_phone, phone_problem
from ..errors import ValidationFailed
from ..extensions import db
from ..records.audit import audit
from ..regions.importing import padded, read_sheet
from ..regions.models import Region
from .models import User
from .operations import create_user

SHEET_COLUMNS = {
    "name": ("姓名", "联络员姓名"),
    "phone": ("联系电话", "手机号码", "手机号", "电话"),
    "village_code": ("村（居）代码", "村代码", "村（居）统计用区划代码"),
    "village_name": ("村（居）名称", "村（居）", "村名称", "村名"),
    "township_name": ("乡镇（街道）", "乡镇（街道）名称", "乡镇名称", "乡镇"),
}
NAME_MAX = 40
USERNAME_PREFIX = "lx"


@dataclass
class Planned:
    village: Region
    display_name: str
    phone: str | None


def _liaison_of(village_ids):
    """{village id: the active liaison} (the first made, when a village has two)."""
    found = {}
    for liaison in db.session.scalars(select(User).where(
            User.role == "liaison", User.active.is_(True),
            User.region_id.in_(village_ids)).order_by(User.id)):
        found.setdefault(liaison.region_id, liaison)
    return found


def _villages(township_id=None):
    statement = select(Region).where(Region.level == "village", Region.deleted_at.is_(None))
    if township_id is not None:
        statement = statement.where(Region.parent_id == township_id)
    return db.session.scalars(statement.order_by(Region.code)).all()


def for_villages(township_id, actor, *, dry_run):
    """One liaison account for every village (of ``township_id``, or the county's) that
    has no active liaison; named after the village until the real name is set."""
    scope.require_role(actor, "admin")
    if township_id is not None:
        scope.require_township(township_id, actor)
    villages = _villages(township_id)
    taken = _liaison_of([village.id for village in villages])
    planned = [Planned(village, f"{village.name}联络员"[:NAME_MAX], None)
               for village in villages if village.id not in taken]
    return _create(planned, actor, dry_run=dry_run, skipped=len(taken), errors=[],
                   source="regions")


class _Villages:
    """The county's villages, found by code, or by name under a township's name."""

    def __init__(self):
        self.all = _villages()
        townships = {region.id: region for region in db.session.scalars(
            select(Region).where(Region.level == "township", Region.deleted_at.is_(None)))}
        self.by_code = {padded(village.code): village for village in self.all}
        self.by_names, self.by_name = {}, {}
        for village in self.all:
            township = townships.get(village.parent_id)
            if township is not None:
                self.by_names[(township.name, village.name)] = village
            self.by_name.setdefault(village.name, []).append(village)
        self.township_names = {t.name for t in townships.values()}

    def find(self, code, name, township):
        """(the village, None) or (None, (column key, message))."""
        if code:
            # a short stored code (510822101) and its 12-digit form name one village
            village = self.by_code.get(padded(code)) if code.isdigit() else None
            if village is None:
                return None, ("village_code", f"村（居）代码 {code} 不存在或不是村（居）")
            return village, None
        if not name:
            return None, ("village_code", "请填写村（居）代码，或乡镇（街道）与村（居）名称")
        if township:
            village = self.by_names.get((township, name))
            if village is not None:
                return village, None
            if township not in self.township_names:
                return None, ("township_name", f"乡镇（街道）“{township}”不存在")
            return None, ("village_name", f"{township}没有“{name}”")
        matches = self.by_name.get(name, [])
        if len(matches) == 1:
            return matches[0], None
        if matches:
            return None, ("township_name", f"有 {len(matches)} 个“{name}”，请填写乡镇（街道）")
        return None, ("village_name", f"村（居）“{name}”不存在")


def from_sheet(data, filename, actor, *, dry_run):
    """Liaison accounts from a sheet of 姓名, 联系电话 and 村（居）代码 (or 村（居）名称
    under 乡镇（街道）): one row per village."""
    scope.require_role(actor, "admin")
    if data is None:
        raise ValidationFailed({"file": ["请选择要上传的文件"]})
    table = read_sheet(data, filename, SHEET_COLUMNS, ("name",))
    columns = table.columns
    if "village_code" not in columns and "village_name" not in columns:
        raise ValidationFailed({"file": ["表中应有“村（居）代码”列，或“村（居）名称”列"]})
    errors = []

    def error(number, key, message):
        errors.append({"row": number, "column": columns.get(key, SHEET_COLUMNS[key][0]),
                       "message": message})

    villages = _Villages()
    taken = _liaison_of([village.id for village in villages.all])
    planned, first_row, skipped = [], {}, 0
    for number, values in table.rows:
        name, phone = values.get("name", ""), values.get("phone", "")
        problems = len(errors)
        if not name:
            error(number, "name", "姓名不能为空")
        elif len(name) > NAME_MAX:
            error(number, "name", f"姓名太长：最多 {NAME_MAX} 个字")
        if phone and phone_problem(phone):
            error(number, "phone", phone_problem(phone))
        village, missing = villages.find(values.get("village_code", ""),
                                         values.get("village_name", ""),
                                         values.get("township_name", ""))
        if missing:
            error(number, *missing)
        if len(errors) > problems:
            continue
        if village.id in first_row:
            error(number, "village_code" if "village_code" in columns else "village_name",
                  f"{village.name}在表中已有联络员（第 {first_row[village.id]} 行）")
            continue
        first_row[village.id] = number
        current = taken.get(village.id)
        if current is not None:
            if current.display_name == name:
                skipped += 1  # the same person again: a sheet imported twice
                continue
            error(number, "name", f"{village.name}已有联络员 {current.display_name}"
                  f"（{current.username}）；如需更换，请先停用原账号")
            continue
        planned.append(Planned(village, name, normalize_phone(phone) if phone else None))
    return _create(planned, actor, dry_run=dry_run, skipped=skipped, errors=errors,
                   source=(filename or "")[:100])


def _usernames(planned):
    """A readable, repeatable username per planned account: ``lx`` and the village code,
    with ``-2``, ``-3`` … when taken (a disabled former liaison keeps theirs)."""
    taken = {name.lower() for name in db.session.scalars(
        select(User.username).where(func.lower(User.username).like(f"{USERNAME_PREFIX}%")))}
    names = []
    for item in planned:
        base = f"{USERNAME_PREFIX}{item.village.code}"
        name, suffix = base, 2
        while name.lower() in taken:
            name, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _create(planned, actor, *, dry_run, skipped, errors, source):
    created = []
    for item, username in zip(planned, _usernames(planned), strict=True):
        user = None
        if not dry_run:
            user = create_user(username=username, password=None, role="liaison",
                               region_id=item.village.id, display_name=item.display_name,
                               phone=item.phone, actor=actor)
        created.append({"id": user.id if user else None, "username": username,
                        "display_name": item.display_name, "phone": item.phone,
                        "village_id": item.village.id, "village_name": item.village.name})
    if created and not dry_run:
        audit("bulk_create_liaisons", user=actor, entity="user_account",
              changes={"source": source, "created": len(created), "skipped": skipped,
                       "refused": len({e["row"] for e in errors})})
    return {"dry_run": dry_run, "created": created, "skipped": skipped, "errors": errors}
