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

Nothing is printed while ``LIANXIN_PUBLIC_BASE_URL`` is still the loopback default: a
whole print run would carry QR codes that open nothing on a migrant's phone, and the
cards' old codes would be revoked by it. ``preview`` tells the printing screen, before
anything changes, how many cards a run prints and how many QR codes already handed out
it would revoke. Each card names its village's liaison and their phone, whom a migrant
calls for a lost card.
"""

from flask import current_app
from sqlalchemy import func, select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import county_today
from ..config import LOOPBACK_PUBLIC_BASE_URL
from ..errors import ApiError, ValidationFailed
from ..extensions import db
from ..regions.models import Region
from ..users.models import User
from .cards_pdf import PrintedCard, render_cards
from .models import ContactCard
from .operations import NO_CARD
from .tokens import feedback_url, issue_token, policies_url

NOTHING_TO_PRINT = "没有可打印的连心卡"
PUBLIC_URL_NOT_SET = (
    "还不能打印：对外访问地址（LIANXIN_PUBLIC_BASE_URL）仍是本机地址 {url}，"
    "印出的二维码在群众手机上打不开。请系统管理员先设置本县的对外网址。")
MAX_CARDS = 5000  # ~500 pages; a larger area is printed township by township


def public_url_problem():
    """Why cards cannot be printed now (the public address is still the loopback
    default), or None."""
    url = current_app.config["LIANXIN_PUBLIC_BASE_URL"]
    if url.rstrip("/") == LOOPBACK_PUBLIC_BASE_URL:
        return PUBLIC_URL_NOT_SET.format(url=url)
    return None


def _selected(selection, actor):
    """The select of the cards a print request names (in register order), a name for
    the file, and the field the selection came in."""
    scope.require_staff(actor)
    if selection.get("card_id"):
        card = scope.require_reference(ContactCard, selection["card_id"], actor, "card_id",
                                       NO_CARD)
        return select(ContactCard).where(ContactCard.id == card.id), card.card_number, "card_id"
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
    return statement, region.name, field


def cards_to_print(selection, actor):
    """The cards a print request names, in register order, a name for the file, and the
    field the selection came in."""
    statement, label, field = _selected(selection, actor)
    cards = db.session.scalars(statement.limit(MAX_CARDS + 1)).all()
    if len(cards) > MAX_CARDS:
        raise ValidationFailed({field: [f"一次最多打印 {MAX_CARDS} 张，请按村分批打印"]})
    return cards, label, field


def preview(selection, actor):
    """What printing ``selection`` would do, changing nothing: how many cards, how many
    of them carry a QR code already handed out (printing revokes those), and whether
    printing is possible now."""
    statement, label, _field = _selected(selection, actor)
    chosen = statement.order_by(None).subquery()
    total, printed = db.session.execute(
        select(func.count(), func.count(chosen.c.token_hash)).select_from(chosen)).one()
    problem = public_url_problem()
    if problem is None and total > MAX_CARDS:
        problem = f"一次最多打印 {MAX_CARDS} 张，请按村分批打印"
    return {"area": label, "cards": total, "revokes": printed, "never_printed": total - printed,
            "public_base_url": current_app.config["LIANXIN_PUBLIC_BASE_URL"],
            "can_print": problem is None and total > 0,
            "problem": problem or (NOTHING_TO_PRINT if total == 0 else None)}


def liaisons_of(village_ids):
    """{village id: "王建国 13800001111"}: the active liaison of each village (the first
    made, when a village has two), as a card names them."""
    liaisons = {}
    for user in db.session.scalars(
        select(User).where(User.role == "liaison", User.active.is_(True),
                           User.region_id.in_(village_ids)).order_by(User.id)
    ):
        liaisons.setdefault(user.region_id, " ".join(
            part for part in (user.display_name, user.phone) if part))
    return liaisons


def print_cards(selection, actor):
    """``(pdf bytes, file label, number of cards)``; every printed card gets a new token."""
    problem = public_url_problem()
    if problem:
        raise ApiError(problem, status=409, code="public_url_not_set")
    cards, label, field = cards_to_print(selection, actor)
    if not cards:
        raise ValidationFailed({field: [NOTHING_TO_PRINT]})
    liaisons = liaisons_of({card.village_id for card in cards})
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
            liaison=liaisons.get(card.village_id),
        )
        for card in cards
    ]
    pdf = render_cards(printed, hotlines=current_app.config["LIANXIN_HOTLINES"],
                       issuer=issuer_name(), policies=policies_url())
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
