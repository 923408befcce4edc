"""The report a clerk fixes the roster from: the uploaded workbook, the refused rows
filled in red, and a 错误说明 column saying what is wrong with each, column by column.

An .xlsx of ordinary size is copied as it is (its formatting, merged titles and other
sheets kept) and marked in place. A large one, or an .xls or .csv, is streamed into a
write-only workbook: the header sheet's cells, row for row at the same row numbers, so
the 错误说明 points at the rows the clerk sees in their own file.
"""

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from .reading import Formula

REPORT_HEADER = "错误说明"
BAD_FILL = PatternFill("solid", start_color="FFF4CCCC", end_color="FFF4CCCC")
NOTE_FONT = Font(color="FF9C0006")
WRAPPED = Alignment(wrap_text=True, vertical="top")
IN_PLACE_MAX_BYTES = 3 * 1024 * 1024


def explanation(problems):
    """[(column, message)] -> "身份证号：校验位不正确；优抚类别：…"."""
    return "；".join(f"{column}：{message}" for column, message in problems)


def write_report(source, target, where, refused_rows, reopen):
    """Write the report of ``refused_rows`` ({row number: [(column, message)]}) of the
    upload ``source`` to ``target``; ``where`` names the sheet and header row, and
    ``reopen()`` streams the roster again (server/roster/reading.py)."""
    if where["kind"] == "xlsx" and source.stat().st_size <= IN_PLACE_MAX_BYTES:
        _marked_copy(source, target, where, refused_rows)
    else:
        _streamed_copy(target, where, refused_rows, reopen)


def _marked_copy(source, target, where, refused_rows):
    book = load_workbook(source)
    sheet = book[where["sheet"]]
    column = sheet.max_column + 1
    header = sheet.cell(where["header_row"], column, REPORT_HEADER)
    header.font = Font(bold=True, color="FF9C0006")
    sheet.column_dimensions[header.column_letter].width = 60
    for number, problems in refused_rows.items():
        for cell in sheet[number][:column - 1]:
            cell.fill = BAD_FILL
        note = sheet.cell(number, column, explanation(problems))
        note.font, note.alignment, note.fill = NOTE_FONT, WRAPPED, BAD_FILL
    book.active = book.worksheets.index(sheet)
    book.save(target)


def _streamed_copy(target, where, refused_rows, reopen):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(where["sheet"][:31] or "花名册")
    roster = reopen()
    try:
        width = len(roster.headers)
        sheet.column_dimensions["A"].width = 12
        for _ in range(1, roster.header_row):
            sheet.append([])
        header = [WriteOnlyCell(sheet, text or None) for text in roster.headers]
        note = WriteOnlyCell(sheet, REPORT_HEADER)
        note.font = Font(bold=True, color="FF9C0006")
        sheet.append([*header, note])
        expected = roster.header_row + 1
        for row in roster.rows():
            while expected < row.number:  # rows the reader skipped stay where they were
                sheet.append([])
                expected += 1
            values = [f"={value.text.lstrip('=')}" if isinstance(value, Formula) else value
                      for value in row.cells[:width]]
            problems = refused_rows.get(row.number)
            if problems is None:
                sheet.append(values)
            else:
                cells = []
                for value in values + [None] * (width - len(values)):
                    cell = WriteOnlyCell(sheet, value)
                    cell.fill = BAD_FILL
                    cells.append(cell)
                marked = WriteOnlyCell(sheet, explanation(problems))
                marked.font, marked.fill = NOTE_FONT, BAD_FILL
                sheet.append([*cells, marked])
            expected += 1
    finally:
        roster.close()
    book.save(target)
