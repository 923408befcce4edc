"""Printable enrollment slips: eight to an A4 page (2 × 4, 95 × 68 mm), with cut marks.

Each slip names the liaison, their village (from the county down) and username, and
carries the QR code that signs their phone in, the last day it works (county time)
and a few plain words for an older villager. Fonts and QR drawing as the 连心卡
(server/contacts/cards_pdf.py): the CID font ``STSong-Light``, nothing embedded.
"""

from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import Color, white
from reportlab.lib.units import mm

from ..contacts.cards_pdf import FONT, draw_qr, fit_text, fitted_string, render_tiles

SLIP_WIDTH, SLIP_HEIGHT = 95 * mm, 68 * mm
COLUMNS, ROWS = 2, 4
MARK_LENGTH = 5 * mm
PADDING = 4 * mm
BAND_HEIGHT = 9 * mm
QR_SIZE = 36 * mm

BAND_BLUE = Color(0.07, 0.33, 0.55)
GREY = Color(0.35, 0.35, 0.35)
CUT_GREY = Color(0.7, 0.7, 0.7)

TITLE = "联络员登录单"
INSTRUCTIONS = ("用手机相机扫描二维码即可登录；", "本单只能用一次，请勿给他人。")
SCAN_HINT = "扫码登录"


@dataclass(frozen=True)
class PrintedSlip:
    name: str
    village: str  # the full name, county down
    username: str
    url: str  # what the QR code opens: the app with the one-time code
    valid_until: date  # the last day, county time


def render_slips(slips, *, issuer, title="联络员登录单"):
    """The PDF (bytes) of ``slips`` (PrintedSlip), eight per A4 page."""
    return render_tiles(slips, lambda canvas, x, y, slip: _slip(canvas, x, y, slip, issuer),
                        size=(SLIP_WIDTH, SLIP_HEIGHT), grid=(COLUMNS, ROWS),
                        mark_length=MARK_LENGTH, title=title, issuer=issuer)


def _slip(canvas, x, y, slip, issuer):
    canvas.saveState()
    canvas.setStrokeColor(CUT_GREY)  # a dashed line to cut along
    canvas.setLineWidth(0.25)
    canvas.setDash(2, 2)
    canvas.rect(x, y, SLIP_WIDTH, SLIP_HEIGHT, stroke=1, fill=0)
    canvas.setDash()
    top = y + SLIP_HEIGHT
    canvas.setFillColor(BAND_BLUE)
    canvas.rect(x, top - BAND_HEIGHT, SLIP_WIDTH, BAND_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(FONT, 13)
    canvas.drawString(x + PADDING, top - BAND_HEIGHT + 2.8 * mm, TITLE)
    canvas.setFont(FONT, 7.5)
    canvas.drawRightString(x + SLIP_WIDTH - PADDING, top - BAND_HEIGHT + 3.2 * mm,
                           fit_text(issuer, 7.5, SLIP_WIDTH - 40 * mm))

    text_width = SLIP_WIDTH - 2 * PADDING - QR_SIZE - 1 * mm
    left = x + PADDING
    canvas.setFillColorRGB(0, 0, 0)
    line = top - BAND_HEIGHT - 7 * mm
    fitted_string(canvas, left, line, f"姓名  {slip.name}", 13, text_width)
    line -= 6 * mm
    for part in _wrapped(f"村（居）{slip.village}", 9, text_width, lines=2):
        canvas.setFont(FONT, 9)
        canvas.drawString(left, line, part)
        line -= 4.3 * mm
    line -= 1 * mm
    fitted_string(canvas, left, line, f"用户名  {slip.username}", 9, text_width)
    line -= 5.5 * mm
    until = slip.valid_until
    fitted_string(canvas, left, line, f"有效期至  {until.year}年{until.month}月{until.day}日",
                   9, text_width)

    canvas.setFillColorRGB(0, 0, 0)
    for index, words in enumerate(INSTRUCTIONS):
        fitted_string(canvas, left, y + 10 * mm - index * 5 * mm, words, 10.5,
                       SLIP_WIDTH - 2 * PADDING)
    qr_x = x + SLIP_WIDTH - QR_SIZE - 2 * mm
    qr_y = y + 13.5 * mm
    draw_qr(canvas, qr_x, qr_y, slip.url, QR_SIZE)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 7)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, qr_y + 0.3 * mm, SCAN_HINT)
    canvas.restoreState()


def _wrapped(text, size, width, *, lines):
    """``text`` broken into at most ``lines`` lines of ``width`` (the last one cut short)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    parts, current = [], ""
    for char in text:
        if stringWidth(current + char, FONT, size) > width:
            parts.append(current)
            current = char
        else:
            current += char
    parts.append(current)
    if len(parts) > lines:
        parts = parts[:lines - 1] + [fit_text("".join(parts[lines - 1:]), size, width)]
    return parts
