"""Reading a roster workbook as the county keeps it: .xlsx, the old .xls, or .csv.

Real ledgers have a title row or two above the header (县名、表名、填报单位), the header
found by its names wherever it sits, cells merged down a column (a township's name over
all its rows), trailing blank rows, and numbers where text belongs. :func:`open_roster`
finds the sheet and its header and streams the rows after it as :class:`SheetRow`
(the Excel row number and the raw cell values by column), whatever the format:

* .xlsx streamed from the sheet's XML with the standard library's parser (a 118,000-row
  roster is never held whole, and read in seconds, where openpyxl's read-only mode takes
  a minute); the merged ranges are read first (a cheap scan for ``<mergeCell>``); a cell merged over several rows gives
  its value to each of them, as the clerk who merged it meant;
* .xls through xlrd (2.0, which reads .xls only; its merged ranges too);
* .csv in UTF-8 (with or without a BOM) or GB18030 (what Excel on a Chinese Windows saves).

A formula cell is kept as :class:`Formula` (its text: the value cached beside it may be
stale), so the row check can refuse it. A file that cannot be read at all raises :class:`FileProblem`
with a sentence for the clerk.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Office writes a password-protected .xlsx as an OLE file with these streams
ENCRYPTED_MARKS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
HEADER_SEARCH_ROWS = 30
MERGE_SCAN_CHUNK = 1 << 20

CORRUPT = "文件已损坏或不是Excel/CSV文件，无法读取。请用Excel打开后另存为 .xlsx 再上传"
ENCRYPTED = "文件设有打开密码，无法读取。请在Excel中取消密码（文件→信息→保护工作簿）后重新上传"
NOT_TEXT = "CSV文件不是UTF-8或GB18030编码，无法读取。请用Excel另存为 .xlsx 或“CSV UTF-8”后重新上传"
EMPTY = "文件是空的，没有可导入的内容"


class FileProblem(Exception):
    """A file that cannot be read at all; ``message`` says why, for the clerk."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Formula:
    text: str


@dataclass
class SheetRow:
    number: int  # as Excel numbers it (1-based)
    cells: list  # raw values by column, 0-based; None for an empty cell


def normalized_header(value):
    """A header cell's text as compared: NFKC (full-width brackets and letters become
    half-width), no blanks or line breaks, no required-field star."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"[\s*＊]", "", text)


class Roster:
    """An opened roster: ``sheet_name``, ``header_row`` (Excel's number), ``headers``
    (the header row's texts by column), ``rows_estimate`` (from the file's own
    dimension, when it says), and ``rows()``, the rows after the header, streamed."""

    def __init__(self, source, sheet_name, header_row, headers, rows_estimate, rows):
        self.source = source
        self.sheet_name = sheet_name
        self.header_row = header_row
        self.headers = headers
        self.rows_estimate = rows_estimate
        self._rows = rows

    def rows(self):
        return self._rows()

    def close(self):
        close = getattr(self.source, "close", None)
        if close:
            close()


def sniff(data_head):
    """The file's kind by its first bytes: xlsx, ole (.xls or an encrypted .xlsx) or text."""
    if data_head.startswith(ZIP_MAGIC):
        return "xlsx"
    if data_head.startswith(OLE_MAGIC):
        return "ole"
    return "text"


def open_roster(path, find_header, missing):
    """The roster in the file at ``path``. ``find_header(texts)`` tells whether a row
    (its normalized cell texts) is the header; the first sheet holding one is read.
    Raises FileProblem: the file cannot be read, or no sheet has the header (then with
    the sentence ``missing``)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise FileProblem(EMPTY)
    kind = sniff(head)
    if kind == "xlsx":
        return _open_xlsx(path, find_header, missing)
    if kind == "ole":
        return _open_xls(path, find_header, missing)
    return _open_csv(path, find_header, missing)


def _header_in(rows, find_header):
    """(row number, its cells' texts as written) of the first header among ``rows``
    (``find_header`` is shown them normalized), or None."""
    for count, row in enumerate(rows):
        if count >= HEADER_SEARCH_ROWS:
            break
        if find_header([normalized_header(value) for value in row.cells]):
            return row.number, ["" if value is None else str(value).strip() for value in row.cells]
    return None


# --- .xlsx ----------------------------------------------------------------------------------


def _merged_ranges(archive, sheet_path):
    """The sheet's merged ranges as (min_col, min_row, max_col, max_row), read from its
    XML without parsing the rows (``<mergeCells>`` follows ``<sheetData>``)."""
    pattern = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
    ranges, tail = [], b""
    with archive.open(sheet_path) as source:
        while True:
            chunk = source.read(MERGE_SCAN_CHUNK)
            if not chunk:
                break
            text = tail + chunk
            for match in pattern.finditer(text):
                ranges.append(range_boundaries(match.group(1).decode()))
            tail = text[-200:]
            # a match straddling chunks is found again in the tail: dropped below
    return sorted(set(ranges), key=lambda r: (r[1], r[0]))


def _merged_fill(rows, ranges):
    """``rows`` with each vertically merged range's top-left value repeated in the rows
    below it (same column). Horizontal merges (a title over the whole width) need
    nothing: their value sits in the first column already."""
    downward = [r for r in ranges if r[3] > r[1]]
    if not downward:
        yield from rows
        return
    pending = list(downward)  # sorted by first row
    active = []  # [min_col, first_row, last_row, value]
    for row in rows:
        while pending and pending[0][1] <= row.number:
            min_col, min_row, _max_col, max_row = pending.pop(0)
            active.append([min_col, min_row, max_row, None])
        kept = []
        for entry in active:
            min_col, first, last, _value = entry
            if row.number > last:
                continue
            kept.append(entry)
            index = min_col - 1
            if row.number == first:
                entry[3] = row.cells[index] if index < len(row.cells) else None
            elif entry[3] is not None:
                if index >= len(row.cells):
                    row.cells.extend([None] * (index + 1 - len(row.cells)))
                if row.cells[index] is None:
                    row.cells[index] = entry[3]
        active = kept
        yield row


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="(?:[A-Z]+[0-9]+:)?[A-Z]+([0-9]+)"')
_REF = re.compile(r"([A-Z]+)([0-9]+)")


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _column_index(letters):
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _text_of(element):
    """A string item's text: its runs' ``<t>``, never the phonetic guide (``<rPh>``) a
    Chinese or Japanese Excel adds above the characters."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


class _Package:
    """The parts of an .xlsx the rows need, read with the standard library's C parser
    (openpyxl's read-only mode costs half a millisecond a row: a minute for a county)."""

    def __init__(self, path):
        self.archive = zipfile.ZipFile(path)
        names = set(self.archive.namelist())
        book = ElementTree.fromstring(self.archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        self.sheets = []
        for sheet in book.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(f"{_REL}id"), "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if target in names and "worksheets/" in target:
                self.sheets.append((sheet.get("name"), target))
        self.shared = []
        if "xl/sharedStrings.xml" in names:
            with self.archive.open("xl/sharedStrings.xml") as source:
                for _event, element in ElementTree.iterparse(source):
                    if element.tag == f"{_MAIN}si":
                        self.shared.append(_text_of(element))
                        element.clear()
        self.date_styles = set()
        if "xl/styles.xml" in names:
            self.date_styles = _date_styles(
                ElementTree.fromstring(self.archive.read("xl/styles.xml")))

    def close(self):
        self.archive.close()

    def rows_estimate(self, sheet_path):
        """The last row the sheet's own dimension names, when it comes first (Excel's)."""
        with self.archive.open(sheet_path) as source:
            match = _DIMENSION.search(source.read(4096))
        return int(match.group(1)) if match else None

    def rows(self, sheet_path, start=1):
        shared, dates = self.shared, self.date_styles
        row_tag, cell_tag = f"{_MAIN}row", f"{_MAIN}c"
        with self.archive.open(sheet_path) as source:
            number = 0
            for _event, element in ElementTree.iterparse(source):
                if element.tag != row_tag:
                    continue
                number = int(element.get("r") or number + 1)
                if number < start:
                    element.clear()
                    continue
                cells = []
                for position, cell in enumerate(element.iter(cell_tag)):
                    ref = cell.get("r")
                    index = _column_index(_REF.match(ref).group(1)) if ref else position
                    if index >= len(cells):
                        cells.extend([None] * (index + 1 - len(cells)))
                    cells[index] = _cell_value(cell, shared, dates)
                element.clear()
                yield SheetRow(number, cells)


def _date_styles(styles):
    """The indexes of the cell formats that show a number as a date."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    custom = {}
    formats = styles.find(f"{_MAIN}numFmts")
    for fmt in formats if formats is not None else ():
        custom[int(fmt.get("numFmtId"))] = fmt.get("formatCode") or ""
    found = set()
    xfs = styles.find(f"{_MAIN}cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId") or 0)
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
        if is_date_format(code) or 27 <= fmt_id <= 36 or 50 <= fmt_id <= 58:  # CJK dates
            found.add(index)
    return found


def _cell_value(cell, shared, dates):
    kind = cell.get("t", "n")
    value = formula = inline = None
    for child in cell:
        name = _local(child.tag)
        if name == "v":
            value = child.text
        elif name == "f":
            formula = child.text or ""
        elif name == "is":
            inline = child
    if formula is not None:
        return Formula(f"={formula}")
    if kind == "inlineStr":
        return _text_of(inline) if inline is not None else None
    if value is None:
        return None
    if kind == "s":
        return shared[int(value)]
    if kind == "str":
        return value
    if kind == "b":
        return value == "1"
    if kind == "e":
        return Formula(value)
    if kind == "d":
        return datetime.fromisoformat(value)
    number = float(value) if any(c in value for c in ".Ee") else int(value)
    if int(cell.get("s") or 0) in dates:
        return from_excel(number)
    return number


def _open_xlsx(path, find_header, missing):
    try:
        package = _Package(path)
    except Exception as error:  # a broken package fails in many ways (zip, XML, keys)
        raise FileProblem(CORRUPT) from error
    try:
        for sheet_name, sheet_path in package.sheets:
            found = _header_in(package.rows(sheet_path), find_header)
            if found is None:
                continue
            header_row, headers = found
            ranges = _merged_ranges(package.archive, sheet_path)
            estimate = package.rows_estimate(sheet_path)

            def rows(sheet_path=sheet_path, header_row=header_row, ranges=ranges):
                return _merged_fill(package.rows(sheet_path, header_row + 1), ranges)

            estimate = max(0, estimate - header_row) if estimate else None
            return Roster(package, sheet_name, header_row, headers, estimate, rows)
    except FileProblem:
        package.close()
        raise
    except Exception as error:
        package.close()
        raise FileProblem(CORRUPT) from error
    package.close()
    raise FileProblem(missing)


# --- .xls -----------------------------------------------------------------------------------


def _is_encrypted_package(path):
    """Whether an OLE file is Office's encrypted wrapper of an .xlsx (a password)."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    return any(mark in head for mark in ENCRYPTED_MARKS)


def _open_xls(path, find_header, missing):
    import xlrd

    if _is_encrypted_package(path):
        raise FileProblem(ENCRYPTED)
    try:
        book = xlrd.open_workbook(path, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as error:
        if "encrypt" in str(error).lower():
            raise FileProblem(ENCRYPTED) from error
        raise FileProblem(CORRUPT) from error
    except Exception as error:
        raise FileProblem(CORRUPT) from error
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)

            def stream(sheet=sheet, start=0):
                for r in range(start, sheet.nrows):
                    yield SheetRow(r + 1, [_xls_value(book, sheet.cell(r, c))
                                           for c in range(sheet.ncols)])

            found = _header_in(stream(), find_header)
            if found is None:
                continue
            header_row, headers = found
            ranges = sorted(((clo + 1, rlo + 1, chi, rhi) for rlo, rhi, clo, chi
                             in sheet.merged_cells), key=lambda r: (r[1], r[0]))

            def rows(sheet=sheet, header_row=header_row, ranges=ranges, stream=stream):
                return _merged_fill(stream(sheet, header_row), ranges)

            return Roster(book, sheet.name, header_row, headers,
                          sheet.nrows - header_row, rows)
    except FileProblem:
        raise
    except Exception as error:
        raise FileProblem(CORRUPT) from error
    raise FileProblem(missing)


def _xls_value(book, cell):
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        value = cell.value
        return int(value) if value.is_integer() else value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return Formula(xlrd.error_text_from_code.get(cell.value, "#错误"))
    return cell.value


# --- .csv -----------------------------------------------------------------------------------


def _decoded(path):
    with open(path, "rb") as handle:
        data = handle.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(NOT_TEXT)


def _open_csv(path, find_header, missing):
    text = _decoded(path)
    if "\x00" in text:
        raise FileProblem(CORRUPT)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel

    def stream(start=1):
        reader = csv.reader(io.StringIO(text), dialect)
        for number, cells in enumerate(reader, 1):
            if number >= start:
                yield SheetRow(number, [cell if cell != "" else None for cell in cells])

    try:
        found = _header_in(stream(), find_header)
    except csv.Error as error:
        raise FileProblem(CORRUPT) from error
    if found is None:
        raise FileProblem(missing)
    header_row, headers = found
    lines = text.count("\n") + 1
    return Roster(None, "CSV", header_row, headers, max(0, lines - header_row),
                  lambda: stream(header_row + 1))


def is_blank(row):
    return all(value is None or (isinstance(value, str) and not value.strip())
               for value in row.cells)

