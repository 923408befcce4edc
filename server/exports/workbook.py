"""Writing a ledger to .xlsx with XlsxWriter in constant_memory mode: rows stream from
the database cursor to the file, each row written out as the next one begins, so memory
stays flat whatever the size. (openpyxl's write-only mode took 29.8 s for a county
month of visits, most of it building a cell object per value; docs/performance.md.)

Every value goes in through the write call of its column's kind, never XlsxWriter's
guessing ``write``: text a liaison typed is always a string cell — "=…", "+1", "#N/A"
or a URL never becomes a formula, a number, an error or a link (and the workbook's
``strings_to_*`` options are off besides)."""

import contextlib
import re

import xlsxwriter

from ..common.sheets import HEADER_ROW, print_ready_streamed

PROGRESS_EVERY = 2000
NUMBER_WIDTH = 7
# A text column this wide or wider holds prose (走访情况, 纠纷情况 …): wrapped when printed.
PROSE_WIDTH = 24
DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.00"
# Control characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE): dropped from
# text, where XlsxWriter would write them as _xHHHH_ escapes.
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
OPTIONS = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
           "strings_to_urls": False}


def _text(sheet, style):
    write_string = sheet.write_string
    illegal, strip = ILLEGAL_CHARACTERS.search, ILLEGAL_CHARACTERS.sub

    def write(row, col, value):
        if value is None or value == "":
            return
        if value.__class__ is not str:
            value = str(value)
        if illegal(value):
            value = strip("", value)
            if not value:
                return
        write_string(row, col, value, style)

    return write


def _present(write_value, style):
    """A writer of values that are written as they are (numbers, days and times) with
    ``write_value`` (the sheet's write_number or write_datetime); empty cells skipped."""

    def write(row, col, value):
        if value is not None:
            write_value(row, col, value, style)

    return write


def _writers(book, sheet):
    """kind -> (row, col, value) -> None; prose is text wrapped at the top of its cell."""
    return {
        "text": _text(sheet, None),
        "prose": _text(sheet, book.add_format({"text_wrap": True, "valign": "top"})),
        "number": _present(sheet.write_number, None),
        "money": _present(sheet.write_number, book.add_format({"num_format": MONEY_FORMAT})),
        "date": _present(sheet.write_datetime, book.add_format({"num_format": DATE_FORMAT})),
        "datetime": _present(sheet.write_datetime, book.add_format({"num_format": DATETIME_FORMAT})),
    }


def _kind(column):
    if column.kind == "text" and column.width >= PROSE_WIDTH:
        return "prose"
    return column.kind


def write_ledger(path, ledger, rows, reveal, progress=None, title=None, scratch=None):
    """Write ``rows`` (an iterable of result rows) as ``ledger`` to ``path``; returns the
    number of rows written. Full ID numbers are opened through ``reveal`` (an audited
    Reveal), or None for masked ones. ``progress(n)`` is called every PROGRESS_EVERY rows.
    ``title`` heads the printed sheet (county, ledger, period: the ledger's title alone
    when not given). XlsxWriter keeps the sheet's rows in a temporary file until the
    workbook is zipped: in ``scratch`` (a private folder), else the system's."""
    options = {**OPTIONS, "tmpdir": str(scratch)} if scratch is not None else OPTIONS
    book = xlsxwriter.Workbook(str(path), options)
    try:
        sheet = book.add_worksheet(ledger.title)
        widths = [NUMBER_WIDTH] + [column.width for column in ledger.columns]
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        print_ready_streamed(book, sheet, title or ledger.title, len(widths))
        bold = book.add_format({"bold": True, "align": "center"})
        at = HEADER_ROW - 1  # XlsxWriter counts rows from 0
        for index, header in enumerate(["序号", *(column.header for column in ledger.columns)]):
            sheet.write_string(at, index, header, bold)
        writers = _writers(book, sheet)
        cells = [(index, column.value, writers[_kind(column)])
                 for index, column in enumerate(ledger.columns, start=1)]
        write_number = sheet.write_number
        written = 0
        for written, row in enumerate(rows, start=1):
            at += 1
            write_number(at, 0, written)
            for index, value, write in cells:
                write(at, index, value(row, reveal))
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
    except BaseException:
        # closing removes XlsxWriter's temporary file (the partial workbook it zips is
        # the caller's ".part", never renamed into place); the first error is the one told
        with contextlib.suppress(Exception):
            book.close()
        raise
    book.close()
    return written
