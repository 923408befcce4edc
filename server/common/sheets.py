"""Sheets made to be printed: the county files its ledgers on paper.

Every workbook Lianxin writes (the ledgers of server/exports, the feedback register)
opens ready to print: a title row (county, ledger, period) above the header, landscape
A4 fitted to the page width, the header repeated on every page, long text wrapped,
page numbers in the footer. The feedback register is built with openpyxl
(``print_ready``); the ledgers, up to a county month of visits, stream through
XlsxWriter (``print_ready_streamed``): the same layout from the same figures.
"""

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

TITLE_ROW, HEADER_ROW = 1, 2
WRAPPED = Alignment(wrap_text=True, vertical="top")
TITLE_HEIGHT, TITLE_SIZE = 24, 14
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}  # inches
FOOTER = "第 &P 页，共 &N 页"


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
    sheet.page_margins = PageMargins(**MARGINS)
    sheet.oddFooter.center.text = FOOTER
    sheet.oddHeader.center.text = title
    cell = WriteOnlyCell(sheet, title)
    cell.font = Font(bold=True, size=TITLE_SIZE)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.append([cell])
    sheet.row_dimensions[TITLE_ROW].height = TITLE_HEIGHT


def print_ready_streamed(book, sheet, title, columns):
    """``print_ready`` for an XlsxWriter worksheet of ``book``: the same title row,
    paper, fit, repeated header, margins, page header and footer. Call before any row
    is written (constant_memory mode writes rows once, in order)."""
    top = TITLE_ROW - 1  # XlsxWriter counts rows and columns from 0
    sheet.set_row(top, TITLE_HEIGHT)
    sheet.merge_range(top, 0, top, columns - 1, title, book.add_format(
        {"bold": True, "font_size": TITLE_SIZE, "align": "center", "valign": "vcenter"}))
    sheet.freeze_panes(HEADER_ROW, 0)
    sheet.repeat_rows(HEADER_ROW - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many down as the rows need
    sheet.center_horizontally()
    sheet.set_margins(**MARGINS)
    # "&" starts a code in a page header; a title's own is doubled
    sheet.set_header("&C" + title.replace("&", "&&"))
    sheet.set_footer("&C" + FOOTER)


def period_name(month, today):
    """The period a ledger covers: its month ("2026-11" → 2026年11月), or everything up
    to ``today``."""
    if month:
        year, number = str(month).split("-")[:2]
        return f"{int(year)}年{int(number)}月"
    return f"截至{today.year}年{today.month}月{today.day}日"
