"""Reading an uploaded sheet (.xlsx or .csv) the way a county's clerks keep one.

Title rows may sit above the header ("巴山县行政区划代码表"), so the header is the
first row among the first ``HEADER_SEARCH_ROWS`` that names every required column;
columns are found by their names (any of a few spellings, full-width brackets and
blanks ignored), not by their places. Cells come back as text: numbers stored as
numbers (a 12-digit code typed into Excel) without a trailing ".0", full-width
digits made half-width, blanks stripped. Rows are numbered as Excel numbers them.
"""

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
HEADER_SEARCH_ROWS = 20


class UnreadableSheet(Exception):
    """The file as a whole cannot be read (the message is for the clerk)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    columns: dict  # key -> the header as written in the file
    rows: list  # (row number, {key: text})


def header_key(text):
    """A header cell compared by its letters alone: NFKC (full-width brackets), no blanks."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _xlsx_rows(data):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableSheet("文件无法打开：不是有效的 Excel 文件（.xlsx），或已加密、已损坏") from error
    try:
        return [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    finally:
        book.close()


def _csv_rows(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [list(csv.reader(io.StringIO(text)))]
    raise UnreadableSheet("CSV 文件编码无法识别，请另存为 UTF-8 或 GBK 编码")


def read_table(data, filename, columns, required):
    """The rows of the first sheet holding a header with every ``required`` column.

    ``columns`` maps a key to the header names that mean it (``{"code": ("统计用区划代码",
    "区划代码", "代码")}``); the first spelling found wins. Blank rows are left out.
    Raises :class:`UnreadableSheet`.
    """
    if len(data) > MAX_BYTES:
        raise UnreadableSheet(f"文件太大：最多 {MAX_BYTES // (1024 * 1024)} MB")
    name = (filename or "").lower()
    if name.endswith(".csv"):
        sheets = _csv_rows(data)
    elif name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        sheets = _xlsx_rows(data)
    else:
        raise UnreadableSheet("只能上传 Excel（.xlsx）或 CSV 文件")
    wanted = {key: [header_key(n) for n in names] for key, names in columns.items()}
    for rows in sheets:
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            found = _header(row, wanted)
            if all(key in found for key in required):
                return _table(rows, index, found)
    names = "、".join(columns[key][0] for key in required)
    raise UnreadableSheet(f"找不到表头：表中应有“{names}”列")


def _header(row, wanted):
    cells = [header_key(value) for value in row]
    found = {}
    for key, names in wanted.items():
        for name in names:
            if name in cells:
                place = cells.index(name)
                found[key] = (place, str(row[place]).strip())  # as written, for the report
                break
    return found


def _table(rows, header_index, found):
    body = []
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {key: cell_text(row[place]) if place < len(row) else ""
                  for key, (place, _name) in found.items()}
        if any(values.values()):
            body.append((offset, values))
            if len(body) > MAX_ROWS:
                raise UnreadableSheet(f"行数太多：一次最多 {MAX_ROWS} 行")
    return Table(columns={key: name for key, (_place, name) in found.items()}, rows=body)
