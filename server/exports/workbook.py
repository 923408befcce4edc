"""Writing a ledger to .xlsx with openpyxl's write-only mode: rows stream from the
database cursor to the file, so memory stays flat whatever the size."""

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..common.sheets import WRAPPED, print_ready

PROGRESS_EVERY = 2000
NUMBER_WIDTH = 7
# A text column this wide or wider holds prose (走访情况, 纠纷情况 …): wrapped when printed.
PROSE_WIDTH = 24
def _text_cell(sheet, wrap=False):
    def convert(value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            value = str(value)
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        formula_like = value.startswith("=") or value in ERROR_CODES
        if not (formula_like or wrap):
            return value
        cell = WriteOnlyCell(sheet, value)
        if formula_like:
            # Text a liaison typed stays text: "=…" must never become a formula.
            cell.data_type = "s"
        if wrap:
            cell.alignment = WRAPPED
        return cell

    return convert


def _money_cell(sheet):
    def convert(value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "0.00"
        return cell

    return convert


def _as_is(value):
    return value


def _prose_cell(sheet):
    return _text_cell(sheet, wrap=True)


def _datetime_cell(sheet):
    def convert(value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell

    return convert


CONVERTERS = {"text": _text_cell, "money": _money_cell, "datetime": _datetime_cell}


def _converter(column, sheet):
    if column.kind == "text" and column.width >= PROSE_WIDTH:
        return _prose_cell(sheet)
    return CONVERTERS.get(column.kind, lambda _s: _as_is)(sheet)


def write_ledger(path, ledger, rows, reveal, progress=None, title=None):
    """Write ``rows`` (an iterable of result rows) as ``ledger`` to ``path``; returns the
    number of rows written. Full ID numbers are opened through ``reveal`` (an audited
    Reveal), or None for masked ones. ``progress(n)`` is called every PROGRESS_EVERY rows.
    ``title`` heads the printed sheet (county, ledger, period: the ledger's title alone
    when not given)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(ledger.title)
    widths = [NUMBER_WIDTH] + [column.width for column in ledger.columns]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    print_ready(sheet, title or ledger.title, len(widths))
    header = []
    for title in ["序号", *(column.header for column in ledger.columns)]:
        cell = WriteOnlyCell(sheet, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    getters = [(column.value, _converter(column, sheet)) for column in ledger.columns]
    written = 0
    for written, row in enumerate(rows, start=1):
        sheet.append([written, *(convert(value(row, reveal)) for value, convert in getters)])
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    book.save(path)
    return written
