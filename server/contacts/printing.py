"""Printing and reissuing 连心卡: where a card's QR token is born.

The server keeps only a hash of each card's token (server/contacts/tokens.py),
so a QR code can only be printed with a token issued at that moment:

- **Printing is issuing.** Every card in a print run gets a fresh token, and the
  token on any earlier print of that card stops working. Print a village or a
  township when its cards are about to be handed out (or mailed, as the county
  does before the Spring Festival); ``only_unprinted`` prints just the cards that
  never had one, leaving cards already in migrants' pockets alone.
- **Reissuing** (a lost card, a card in the wrong hands) revokes the old token at
  once and returns a new one, which the next print replaces in turn.

Each token change is a versioned update of the card with its own audit action
(``print_card``, ``reissue_card``); the audit shows the hash only as redacted.
"""

from flask import current_app
from sqlalchemy import select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import county_today
from ..errors import ValidationFailed
from ..extensions import db
from ..regions.models import Region
from .cards_pdf import PrintedCard, render_cards
from .models import ContactCard
from .operations import NO_CARD
from .tokens import feedback_url, issue_token

NOTHING_TO_PRINT = "没有可打印的连心卡"
MAX_CARDS = 5000  # ~500 pages; a larger area is printed township by township


def cards_to_print(selection, actor):
    """The cards a print request names, in register order, and a name for the file."""
    scope.require_staff(actor)
    if selection.get("card_id"):
        card = scope.require_reference(ContactCard, selection["card_id"], actor, "card_id",
                                       NO_CARD)
        return [card], card.card_number, "card_id"
    statement = (
        select(ContactCard)
        .join(Beneficiary, Beneficiary.id == ContactCard.beneficiary_id)
        .join(Region, Region.id == ContactCard.village_id)
        .where(ContactCard.deleted_at.is_(None), Beneficiary.deleted_at.is_(None),
               Beneficiary.status == "active")
    )
    if selection.get("village_id"):
        region = scope.require_village(selection["village_id"], actor)
        statement, field = statement.where(ContactCard.village_id == region.id), "village_id"
    else:
        region = scope.require_township(selection["township_id"], actor)
        statement, field = statement.where(Region.parent_id == region.id), "township_id"
    if selection.get("only_unprinted"):
        statement = statement.where(ContactCard.token_hash.is_(None))
    statement = statement.order_by(Region.code, Beneficiary.name, ContactCard.card_number)
    cards = db.session.scalars(statement.limit(MAX_CARDS + 1)).all()
    if len(cards) > MAX_CARDS:
        raise ValidationFailed({field: [f"一次最多打印 {MAX_CARDS} 张，请按村分批打印"]})
    return cards, region.name, field


def print_cards(selection, actor):
    """``(pdf bytes, file label, number of cards)``; every printed card gets a new token."""
    cards, label, field = cards_to_print(selection, actor)
    if not cards:
        raise ValidationFailed({field: [NOTHING_TO_PRINT]})
    people = {
        person.id: person for person in db.session.scalars(
            select(Beneficiary).where(Beneficiary.id.in_({c.beneficiary_id for c in cards}))
        )
    }
    printed = [
        PrintedCard(
            name=people[card.beneficiary_id].name,
            card_number=card.card_number,
            url=feedback_url(issue_token(card, actor, action="print_card")),
        )
        for card in cards
    ]
    pdf = render_cards(printed, hotlines=current_app.config["LIANXIN_HOTLINES"],
                       issuer=issuer_name())
    return pdf, label, len(printed)


def reissue(card, actor):
    """Revoke the card's token now and issue a new one (returned once); issued today."""
    scope.require_staff(actor)
    token = issue_token(card, actor, action="reissue_card", issued_on=county_today())
    return {"card": card, "token": token, "feedback_url": feedback_url(token)}


def issuer_name():
    """``<county>民政局``, from the region tree."""
    county = db.session.scalar(
        select(Region.name).where(Region.level == "county", Region.deleted_at.is_(None))
        .order_by(Region.code).limit(1)
    )
    return f"{county or '县'}民政局"
