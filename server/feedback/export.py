"""The feedback register (征求意见台账) as an Excel workbook, as the county keeps it."""

from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .. import scope
from ..common.choices import (
    FEEDBACK_CATEGORIES,
    FEEDBACK_SOURCES,
    FEEDBACK_STATUS,
    FEEDBACK_SUSPECTED,
)
from ..common.sheets import HEADER_ROW, period_name, print_ready
from ..common.timeutil import county_today, county_zone
from ..extensions import db
from ..regions.models import full_name
from . import operations
from .schemas import FeedbackSchema, is_overdue


def _local(value):
    """An ISO instant from the schema -> county wall-clock time, as the ledger shows it."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(county_zone()).strftime("%Y-%m-%d %H:%M")


# (header, width, value of one row of FeedbackSchema's dump)
COLUMNS = (
    ("回执号", 18, lambda f: f["receipt_number"]),
    ("收到时间", 17, lambda f: _local(f["created_at"])),
    ("类别", 10, lambda f: FEEDBACK_CATEGORIES.get(f["category"], f["category"])),
    ("内容", 50, lambda f: f["text"]),
    ("来源", 11, lambda f: FEEDBACK_SOURCES.get(f["source"], f["source"])),
    ("收集人", 10, lambda f: f["collected_by_name"]),
    ("联系电话", 14, lambda f: f["phone"]),
    ("务工城市", 10, lambda f: f["city"]),
    ("优抚对象", 10, lambda f: f["beneficiary_name"] or "（匿名）"),
    ("连心卡号", 15, lambda f: f["card_number"]),
    ("村（居）", 14, lambda f: f["village_name"]),
    ("承办单位", 12, lambda f: f["assigned_region_name"]),
    ("承办人", 10, lambda f: f["assigned_user_name"]),
    ("状态", 8, lambda f: FEEDBACK_STATUS.get(f["status"], f["status"])),
    ("办结期限", 11, lambda f: f["deadline"]),
    ("是否超期", 8, lambda f: "是" if f["overdue"] else "否"),
    ("答复", 40, lambda f: f["reply"]),
    ("答复时间", 17, lambda f: _local(f["replied_at"])),
    ("办结时间", 17, lambda f: _local(f["closed_at"])),
    ("疑似", 12, lambda f: FEEDBACK_SUSPECTED.get(f["suspected"] or "", "")),
)

_schema = FeedbackSchema()


def export_register(filters, actor):
    """The register of what ``actor`` (staff) may see, with the list's filters: the .xlsx
    bytes and the file's name (the month's, or today's)."""
    scope.require_staff(actor)
    feedbacks = db.session.scalars(operations.list_statement(filters, actor)).all()
    _related = operations.preload(feedbacks)  # held, so names are read from the session
    name = f"征求意见台账-{filters.get('month') or county_today().isoformat()}.xlsx"
    heading = (f"{full_name(actor.region)}征求意见台账"
               f"（{period_name(filters.get('month'), county_today())}）")
    return register_workbook(feedbacks, heading=heading), name


def register_workbook(feedbacks, title="征求意见台账", heading=None):
    """The .xlsx bytes of ``feedbacks`` (already filtered and in order), ready to print
    under ``heading`` (the sheet's title when not given)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    print_ready(sheet, heading or title, len(COLUMNS))
    sheet.append([header for header, _width, _value in COLUMNS])
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    today = county_today()
    for feedback in feedbacks:
        row = _schema.dump(feedback)
        row["overdue"] = is_overdue(feedback, today)
        sheet.append([_text(value(row)) for _header, _width, value in COLUMNS])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # Text a migrant typed is text: "=…" must never become a formula.
                cell.data_type = TYPE_STRING
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, (_header, width, _value) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{sheet.max_row}"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value):
    return "" if value is None else value
