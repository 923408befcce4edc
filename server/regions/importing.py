"""Loading the county's townships and villages from a 统计用区划代码 sheet.

A real code has 12 digits: county XXXXXX000000, township XXXXXXYYY000, village
XXXXXXYYYZZZ; the level and the parent follow from the code when the sheet does not
give them (级别, 上级代码). A region already stored under a short code (the demo seed's
6/9-digit codes) is the same region as the code padded with zeros to 12 digits.

Importing is idempotent: a row that matches its region changes nothing (no version,
no audit row); a changed name is a rename of the same record (update_records, so phones
get it), never a new region. A dry run checks every row the same way and changes
nothing. Rows with a problem are reported by row and column and left out; the others
are applied.
"""

import uuid
from dataclasses import dataclass, field
from io import BytesIO

from sqlalchemy import select

from .. import scope
from ..common.tables import UnreadableSheet, read_table
from ..errors import ValidationFailed
from ..extensions import db
from ..records.audit import audit
from ..records.versioning import create_records, update_records
from .models import Region

COLUMNS = {
    "code": ("统计用区划代码", "区划代码", "代码", "行政区划代码"),
    "name": ("名称", "区划名称", "单位名称"),
    "level": ("级别", "层级"),
    "parent": ("上级代码", "上级区划代码"),
}
REQUIRED = ("code", "name")
CODE_LENGTH = 12
LEVEL_WORDS = {
    "county": {"县", "县级", "区", "县（区）", "县(区)", "县/区", "county"},
    "township": {"乡镇", "乡", "镇", "街道", "乡镇（街道）", "乡镇(街道)", "乡级", "township"},
    "village": {"村", "居", "社区", "村（居）", "村(居)", "村级", "居委会", "村委会", "village"},
}
LEVEL_NAMES = {"county": "县", "township": "乡镇", "village": "村（居）"}
PARENT_LEVEL = {"county": None, "township": "county", "village": "township"}
MAX_NAME = 60
TEMPLATE_HEADERS = ("统计用区划代码", "名称", "级别", "上级代码")


def padded(code):
    """A code as 12 digits (a short one filled with zeros on the right)."""
    return code.ljust(CODE_LENGTH, "0") if code.isdigit() and len(code) <= CODE_LENGTH else code


def same_codes(code):
    """The stored codes that name the region of ``code``: itself, its 12-digit form, and
    the short form (6 or 9 digits) a zero-padded code may be stored under."""
    full = padded(code)
    codes = {code, full}
    if full.isdigit() and len(full) == CODE_LENGTH:
        if full[6:] == "000000":
            codes.add(full[:6])
        elif full[9:] == "000":
            codes.add(full[:9])
    return codes


def find_region(code):
    """The live region stored under ``code`` or a code of the same region (see
    :func:`same_codes`), or None."""
    return db.session.scalar(select(Region).where(
        Region.code.in_(same_codes(code.strip())), Region.deleted_at.is_(None)).limit(1))


def level_of(code):
    """The level a 12-digit code names, or None when it names none (000 village part
    under a 000 township part is the county; a village under township 000 is no code)."""
    if code[6:] == "000000":
        return "county"
    if code[9:] == "000":
        return "township"
    if code[6:9] == "000":
        return None
    return "village"


def parent_code(code, level):
    if level == "township":
        return code[:6] + "000000"
    if level == "village":
        return code[:9] + "000"
    return None


@dataclass
class Row:
    number: int
    code: str
    name: str
    level: str
    parent: str | None


@dataclass
class Outcome:
    dry_run: bool
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)

    def as_dict(self):
        return {"dry_run": self.dry_run, "created": self.created, "renamed": self.renamed,
                "unchanged": self.unchanged, "errors": self.errors}


class _Check:
    """The rows of one sheet, checked; the problems gathered per row and column."""

    def __init__(self, table):
        self.columns = table.columns
        self.outcome = None
        self.errors = []

    def error(self, number, key, message):
        self.errors.append({"row": number, "column": self.columns.get(key, COLUMNS[key][0]),
                            "message": message})


def _level_word(text):
    word = text.strip()
    for level, words in LEVEL_WORDS.items():
        if word in words:
            return level
    return "unknown"


def _parse(check, number, values):
    """A :class:`Row` of the sheet's cells, or None (its problems noted)."""
    code, name = values.get("code", ""), values.get("name", "")
    ok = True
    if not code:
        check.error(number, "code", "代码不能为空")
        ok = False
    elif not code.isdigit() or len(code) not in (6, 9, CODE_LENGTH):
        check.error(number, "code", f"代码“{code}”不对：应为 12 位数字的统计用区划代码")
        ok = False
    if not name:
        check.error(number, "name", "名称不能为空")
        ok = False
    elif len(name) > MAX_NAME:
        check.error(number, "name", f"名称太长：最多 {MAX_NAME} 个字")
        ok = False
    if not ok:
        return None
    code = padded(code)
    level = level_of(code)
    if level is None:
        check.error(number, "code", f"代码“{code}”不对：乡镇部分为 000 的代码不能是村")
        return None
    if values.get("level"):
        stated = _level_word(values["level"])
        if stated == "unknown":
            check.error(number, "level", f"级别“{values['level']}”不认识：应为 县、乡镇 或 村")
            return None
        if stated != level:
            check.error(number, "level", f"级别“{values['level']}”与代码不符：代码 {code} 是"
                        f"{LEVEL_NAMES[level]}级")
            return None
    parent = parent_code(code, level)
    if values.get("parent"):
        stated = values["parent"]
        if not stated.isdigit() or padded(stated) != parent:
            expected = f"应为 {parent}" if parent else "县级没有上级"
            check.error(number, "parent", f"上级代码“{stated}”与代码不符：{expected}")
            return None
    return Row(number, code, name, level, parent)


def _stored():
    """{12-digit code: region} of every region (deleted ones included: a code stays taken)."""
    return {padded(region.code): region for region in db.session.scalars(select(Region))}


def plan(table):
    """Check every row; returns (the check, new rows in tree order, renames, unchanged)."""
    check = _Check(table)
    stored = _stored()
    counties = {code for code, region in stored.items()
                if region.level == "county" and region.deleted_at is None}
    rows, seen = [], {}
    for number, values in table.rows:
        row = _parse(check, number, values)
        if row is None:
            seen.setdefault(padded(values.get("code", "")), None)
            continue
        if row.code in seen:
            first = seen[row.code]
            where = f"第 {first} 行" if first else "前面的行"
            check.error(number, "code", f"代码 {row.code} 在表中重复（与{where}相同）")
            continue
        seen[row.code] = number
        rows.append(row)
    county_prefixes = {code[:6] for code in counties} | {
        row.code[:6] for row in rows if row.level == "county"}
    creates, renames, unchanged = [], [], 0
    good = {}  # code -> level, of the rows that will exist after the import
    for row in sorted(rows, key=lambda r: ("county", "township", "village").index(r.level)):
        region = stored.get(row.code)
        if region is not None:
            if region.deleted_at is not None:
                check.error(row.number, "code", f"代码 {row.code} 的地区已被删除，不能再导入")
                continue
            if region.level != row.level:
                check.error(row.number, "code", f"代码 {row.code} 已登记为"
                            f"{LEVEL_NAMES[region.level]}，与本表不符")
                continue
            good[row.code] = row.level
            if region.name == row.name:
                unchanged += 1
            else:
                renames.append((row, region))
            continue
        if row.level == "county" and counties:
            check.error(row.number, "code", "系统中已有本县，不能再导入另一个县")
            continue
        if county_prefixes and row.code[:6] not in county_prefixes:
            check.error(row.number, "code", f"代码 {row.code} 不属于本县")
            continue
        if row.parent is not None and row.parent not in good:
            parent = stored.get(row.parent)
            if parent is None or parent.deleted_at is not None or parent.level != PARENT_LEVEL[
                    row.level]:
                message = (f"上级地区 {row.parent} 所在行有错误" if row.parent in seen
                           else f"上级地区 {row.parent} 不存在：请先导入上级，或把它列在表中")
                check.error(row.number, "parent" if "parent" in table.columns else "code", message)
                continue
        good[row.code] = row.level
        creates.append(row)
    check.errors.sort(key=lambda e: e["row"])
    return check, creates, renames, unchanged


def import_regions(data, filename, actor, *, dry_run):
    """Check (and unless ``dry_run`` apply) a regions sheet; an :class:`Outcome`.
    ``actor`` None is the command line, before the first admin exists."""
    if actor is not None:
        scope.require_role(actor, "admin")
    table = read_sheet(data, filename, COLUMNS, REQUIRED)
    check, creates, renames, unchanged = plan(table)
    outcome = Outcome(dry_run=dry_run, created=len(creates), renamed=len(renames),
                      unchanged=unchanged, errors=check.errors)
    if dry_run or not (creates or renames):
        return outcome
    update_records([(region, {"name": row.name}) for row, region in renames], actor,
                   action="rename")
    ids = {padded(code): region_id for code, region_id in
           db.session.execute(select(Region.code, Region.id)).all()}
    for level in ("county", "township", "village"):
        batch = []
        for row in creates:
            if row.level != level:
                continue
            region = Region(code=row.code, name=row.name, level=row.level,
                            parent_id=ids.get(row.parent) if row.parent else None)
            region.id = uuid.uuid4()
            ids[row.code] = region.id
            batch.append(region)
        create_records(batch, actor)
    audit("import_regions", user=actor, entity="region", changes={
        "file": filename[:100] if filename else None, "created": outcome.created,
        "renamed": outcome.renamed, "unchanged": outcome.unchanged,
        "refused": len({e["row"] for e in outcome.errors})})
    db.session.flush()
    return outcome


def read_sheet(data, filename, columns, required):
    """The sheet's table; a file that cannot be read is a 422 on the field ``file``."""
    try:
        return read_table(data, filename, columns, required)
    except UnreadableSheet as error:
        raise ValidationFailed({"file": [error.message]}) from error


def template():
    """The template workbook (bytes): the headers, an example county, township and
    village, and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "区划"
    sheet.append(["本县乡镇、村（居）统计用区划代码表"])
    sheet.append(list(TEMPLATE_HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in (("510822000000", "巴山县", "县", ""),
                ("510822101000", "青龙镇", "乡镇", "510822000000"),
                ("510822101201", "石桥村", "村", "510822101000")):
        sheet.append(list(row))
    for column in "ABCD":
        sheet.column_dimensions[column].width = 20
    for cell in sheet["A"]:
        cell.number_format = "@"
    notes = book.create_sheet("填写说明")
    for line in (
        "1. 统计用区划代码为 12 位数字：县 XXXXXX000000，乡镇 XXXXXXYYY000，村（居）XXXXXXYYYZZZ。",
        "2. 名称填本级名称（如“石桥村”），不必带上级名称。",
        "3. 级别（县/乡镇/村）和上级代码可以不填：系统按代码推算；填了则须与代码一致。",
        "4. 重复导入不会重复建立地区；名称改了的按更名处理。",
        "5. 请先“试导入”检查，按提示改正后再正式导入。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
