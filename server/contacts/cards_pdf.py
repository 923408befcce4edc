"""Printable 连心卡: credit-card size (85.6 × 54 mm), ten to an A4 page, with cut marks.

Each card carries the person's name and card number, the county's hotline
numbers and a QR code opening the feedback form with the card's token. Chinese
text uses reportlab's built-in CID font ``STSong-Light``: the PDF names the
font and the reader supplies it, so nothing is downloaded or embedded.

The cards sit edge to edge in a 2 × 5 grid, so one straight cut separates two
cards; crop marks in the page margins continue every grid line, and a faint
dashed outline helps whoever cuts with scissors at the township office.
"""

from dataclasses import dataclass
from io import BytesIO

import segno
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

CARD_WIDTH, CARD_HEIGHT = 85.6 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
FONT = "STSong-Light"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARK_GAP, MARK_LENGTH = 2 * mm, 6 * mm

PADDING = 3 * mm
BAND_HEIGHT = 9 * mm
QR_SIZE = 25 * mm  # the symbol with a quiet zone of QR_BORDER modules around it
QR_BORDER = 2

BAND_RED = Color(0.70, 0.11, 0.11)
GREY = Color(0.35, 0.35, 0.35)
CUT_GREY = Color(0.75, 0.75, 0.75)

HOTLINE_TITLE = "服务热线"
SCAN_HINT = "扫码反映诉求"
KEEP_HINT = "请妥善保管。遗失请联系村民政信息联络员补办。"
LOST_CARD = "遗失补办请找联络员 {liaison}"
POLICIES = "法规政策 {address}"


@dataclass(frozen=True)
class PrintedCard:
    name: str
    card_number: str
    url: str  # what the QR code opens: the feedback form with the card's token
    liaison: str | None = None  # the village liaison's name and phone, for a lost card


def register_font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def render_cards(cards, *, hotlines, issuer, title="连心卡", policies=None):
    """The PDF (bytes) of ``cards`` (PrintedCard), ten per A4 page; ``policies``: the
    public policy library's address, printed short (without its scheme) on each."""
    return render_tiles(cards, lambda canvas, x, y, card: _card(canvas, x, y, card, hotlines,
                                                                issuer, policies),
                        size=(CARD_WIDTH, CARD_HEIGHT), grid=(COLUMNS, ROWS),
                        mark_length=MARK_LENGTH, title=title, issuer=issuer)


def render_tiles(items, draw, *, size, grid, mark_length, title, issuer):
    """The PDF (bytes) of ``items`` printed as tiles of ``size`` (width, height) edge to
    edge in a ``grid`` (columns, rows) centred on A4 pages, so one straight cut
    separates two; crop marks in the margins continue every grid line.
    ``draw(canvas, x, y, item)`` draws one tile from its lower left corner. The 连心卡
    and the liaisons' enrollment slips (server/enrollment/slips_pdf.py) are printed so."""
    (width, height), (columns, rows) = size, grid
    left, bottom = (PAGE_WIDTH - columns * width) / 2, (PAGE_HEIGHT - rows * height) / 2
    top, per_page = bottom + rows * height, columns * rows
    register_font()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(issuer)
    canvas.setCreator("连心 Lianxin")
    for start in range(0, max(len(items), 1), per_page):
        _crop_marks(canvas, left, bottom, width, height, columns, rows, mark_length)
        for slot, item in enumerate(items[start:start + per_page]):
            column, row = slot % columns, slot // columns
            draw(canvas, left + column * width, top - (row + 1) * height, item)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _crop_marks(canvas, left, bottom, width, height, columns, rows, length):
    canvas.saveState()
    canvas.setLineWidth(0.3)
    canvas.setStrokeColorRGB(0, 0, 0)
    right, top = left + columns * width, bottom + rows * height
    for column in range(columns + 1):
        x = left + column * width
        canvas.line(x, top + MARK_GAP, x, top + MARK_GAP + length)
        canvas.line(x, bottom - MARK_GAP, x, bottom - MARK_GAP - length)
    for row in range(rows + 1):
        y = bottom + row * height
        canvas.line(left - MARK_GAP, y, left - MARK_GAP - length, y)
        canvas.line(right + MARK_GAP, y, right + MARK_GAP + length, y)
    canvas.restoreState()


def _card(canvas, x, y, card, hotlines, issuer, policies=None):
    canvas.saveState()
    # a faint outline to cut along
    canvas.setStrokeColor(CUT_GREY)
    canvas.setLineWidth(0.25)
    canvas.setDash(2, 2)
    canvas.rect(x, y, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=0)
    canvas.setDash()

    top = y + CARD_HEIGHT
    # the title band
    canvas.setFillColor(BAND_RED)
    canvas.rect(x, top - BAND_HEIGHT, CARD_WIDTH, BAND_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(FONT, 13)
    canvas.drawString(x + PADDING, top - BAND_HEIGHT + 2.8 * mm, "连心卡")
    canvas.setFont(FONT, 7)
    canvas.drawRightString(x + CARD_WIDTH - PADDING, top - BAND_HEIGHT + 3.2 * mm,
                           fit_text(issuer, 7, CARD_WIDTH - 30 * mm))

    text_width = CARD_WIDTH - 2 * PADDING - QR_SIZE - 1 * mm
    canvas.setFillColorRGB(0, 0, 0)
    fitted_string(canvas, x + PADDING, top - BAND_HEIGHT - 6 * mm, f"姓名  {card.name}",
                   10.5, text_width)
    fitted_string(canvas, x + PADDING, top - BAND_HEIGHT - 10.5 * mm,
                   f"卡号  {card.card_number}", 8, text_width)

    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 6)
    canvas.drawString(x + PADDING, top - BAND_HEIGHT - 15 * mm, HOTLINE_TITLE)
    _hotlines(canvas, x + PADDING, top - BAND_HEIGHT - 18.3 * mm, hotlines, text_width,
              bottom=y + (9 if policies else 6) * mm)
    if policies:
        canvas.setFillColorRGB(0, 0, 0)
        address = policies.split("://", 1)[-1]
        fitted_string(canvas, x + PADDING, y + 6 * mm, POLICIES.format(address=address), 6,
                      text_width)

    qr_x = x + CARD_WIDTH - QR_SIZE - 2 * mm
    qr_y = y + 5.5 * mm
    _qr(canvas, qr_x, qr_y, card.url)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 6)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, y + 3 * mm, SCAN_HINT)
    if card.liaison:
        canvas.setFillColorRGB(0, 0, 0)
        fitted_string(canvas, x + PADDING, y + 3 * mm, LOST_CARD.format(liaison=card.liaison),
                       6, text_width)
    else:
        canvas.setFont(FONT, 5)
        canvas.drawString(x + PADDING, y + 3 * mm, fit_text(KEEP_HINT, 5, text_width))
    canvas.restoreState()


def _hotlines(canvas, x, first_baseline, hotlines, width, bottom):
    if not hotlines:
        return
    step = min(3.4 * mm, (first_baseline - bottom) / max(len(hotlines) - 1, 1))
    size = min(6.8, step / mm * 2.0)
    canvas.setFillColorRGB(0, 0, 0)
    for index, line in enumerate(hotlines):
        baseline = first_baseline - index * step
        number = str(line["number"])
        canvas.setFont(FONT, size)
        number_width = pdfmetrics.stringWidth(number, FONT, size)
        canvas.drawRightString(x + width, baseline, number)
        canvas.drawString(x, baseline, fit_text(str(line["label"]), size, width - number_width - 2 * mm))


def fitted_string(canvas, x, y, text, size, width):
    """Draw ``text`` at ``size`` or smaller, so a long name never runs into the QR code."""
    while size > 5 and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 0.5
    canvas.setFont(FONT, size)
    canvas.drawString(x, y, fit_text(text, size, width))


def fit_text(text, size, width):
    """``text`` cut short with "…" to fit ``width`` at ``size``."""
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def _qr(canvas, x, y, url):
    draw_qr(canvas, x, y, url, QR_SIZE)


def draw_qr(canvas, x, y, url, size):
    """The QR code of ``url`` as vector squares (sharp at any printer resolution), in a
    ``size`` square whose lower left corner is (x, y), quiet zone included."""
    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    count = len(matrix)
    module = size / (count + 2 * QR_BORDER)
    origin_x = x + QR_BORDER * module
    origin_y = y + QR_BORDER * module
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        row_y = origin_y + (count - 1 - row_index) * module
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            run_start = column
            while column < count and row[column]:
                column += 1
            # a hair of overlap so no white seam shows between neighbouring modules
            path.rect(origin_x + run_start * module, row_y, (column - run_start) * module,
                      module * 1.02)
    canvas.drawPath(path, stroke=0, fill=1)
