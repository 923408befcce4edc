from io import BytesIO

from flask import send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..contacts import printing
from ..contacts.models import ContactCard
from ..contacts.schemas import CardIssueSchema, CardPrintPreviewSchema, CardPrintQuerySchema
from ..extensions import db
from . import BEARER

blp = Blueprint(
    "card_printing", __name__, url_prefix="/api/v1/contact-cards",
    description="连心卡打印与补办（民政干部）：打印即发放新的二维码，旧码作废",
)


@blp.route("/print-preview")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(CardPrintQuerySchema(), location="query")
@blp.response(200, CardPrintPreviewSchema)
def preview_print(selection):
    """What printing the selection would do, changing nothing: the number of cards, how
    many QR codes already handed out it revokes, and whether printing is possible now
    (not while ``LIANXIN_PUBLIC_BASE_URL`` is the loopback default)."""
    return printing.preview(selection, current_user)


# POST, not GET: printing revokes the cards' previous QR codes, so a browser's prefetch
# or a retried link must not be able to do it behind the officer's back.
@blp.route("/print.pdf", methods=["POST"])
@blp.doc(security=[BEARER], responses={"200": {
    "description": "连心卡 PDF：A4，每页 10 张（85.6 × 54 mm），带裁切线",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}})
@jwt_required()
@blp.arguments(CardPrintQuerySchema(), location="query")
def print_cards(selection):
    """Print one card (``card_id``), a village's or a township's cards.

    Printing issues every printed card a fresh QR token and revokes its previous one
    (only a hash of a token is kept, so an old token cannot be printed again). With
    ``only_unprinted`` only cards that never had a token are printed.
    """
    pdf, label, count = printing.print_cards(selection, current_user)
    db.session.commit()
    response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"连心卡-{label}.pdf")
    response.headers["X-Cards-Printed"] = str(count)
    return response


@blp.route("/<uuid:card_id>/reissue", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, CardIssueSchema)
def reissue_card(card_id):
    """Revoke the card's QR token at once (a lost card) and issue a new one, returned
    only in this answer; printing the card later issues yet another."""
    card = scope.get_or_404(ContactCard, card_id, current_user)
    result = printing.reissue(card, current_user)
    db.session.commit()
    return result
