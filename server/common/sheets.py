"""Sheets made to be printed: the county files its ledgers on paper.

Every workbook Lianxin writes (the ledgers of server/exports, the feedback register)
opens ready to print: a title row (county, ledger, period) above the header, landscape
A4 fitted to the page width, the header repeated on every page, long text wrapped,
page numbers in the footer.
"""

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

TITLE_ROW, HEADER_ROW = 1, 2
WRAPPED = Alignment(wrap_text=True, vertical="top")


def print_ready(sheet, title, columns):
    """A ledger sheet as the county prints it: the title row (county, ledger, period)
    above the header, landscape A4 fitted to the page width, the header repeated on
    every page, page numbers in the footer. Call on an empty sheet (write-only sheets
    take their layout first): it writes the title row; the header comes next."""
    last = get_column_letter(columns)
    sheet.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddHeader.center.text = title
    cell = WriteOnlyCell(sheet, title)
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.append([cell])
    sheet.row_dimensions[TITLE_ROW].height = 24


def period_name(month, today):
    """The period a ledger covers: its month ("2026-11" → 2026年11月), or everything up
    to ``today``."""
    if month:
        year, number = str(month).split("-")[:2]
        return f"{int(year)}年{int(number)}月"
    return f"截至{today.year}年{today.month}月{today.day}日"
