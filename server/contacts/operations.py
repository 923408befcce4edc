"""Contact cards (连心卡) of migrant beneficiaries and their contact logs: rules shared
by the REST API and sync."""

from sqlalchemy import func, or_, select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.paging import paginate
from ..common.timeutil import county_today
from ..errors import ValidationFailed
from ..extensions import db
from ..records.versioning import create_record, delete_record, require_new_id, update_record
from ..regions.models import Region
from .models import ContactCard, ContactLog

NO_BENEFICIARY = "优抚对象不存在或不在您的管辖范围内"
NO_CARD = "连心卡不存在或不在您的管辖范围内"
NOT_MIGRANT = "只有外出务工人员才能办理连心卡"
HAS_CARD = "该优抚对象已有连心卡"
NUMBER_TAKEN = "该卡号已被使用"
SERIAL_DIGITS = 6


def create_card(values, actor):
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(ContactCard, record_id)
    beneficiary = scope.require_reference(
        Beneficiary, values["beneficiary_id"], actor, "beneficiary_id", NO_BENEFICIARY
    )
    if not beneficiary.is_migrant:
        raise ValidationFailed({"beneficiary_id": [NOT_MIGRANT]})
    if _has_active_card(beneficiary.id):
        raise ValidationFailed({"beneficiary_id": [HAS_CARD]})
    if values.get("card_number"):
        _check_card_number_free(values["card_number"])
    else:
        values["card_number"] = next_card_number(beneficiary.village_id)
    values["issued_on"] = values.get("issued_on") or county_today()
    if values.get("work_city") is None:
        values["work_city"] = beneficiary.work_city
    card = ContactCard(**values, village_id=beneficiary.village_id)
    return create_record(card, actor, record_id=record_id)


def next_card_number(village_id):
    """``LX`` + the last four digits of the township's code + a six-digit serial.

    The serial follows the highest number of that shape ever given in the township,
    deleted cards included, since a printed card number is never reused.
    """
    village = db.session.get(Region, village_id)
    township = village.parent or village
    digits = "".join(ch for ch in township.code if ch.isdigit())
    prefix = "LX" + digits[-4:].rjust(4, "0")
    highest = db.session.scalar(
        select(func.max(ContactCard.card_number)).where(
            ContactCard.card_number.startswith(prefix),
            func.length(ContactCard.card_number) == len(prefix) + SERIAL_DIGITS,
        )
    )
    serial = int(highest[len(prefix):]) + 1 if highest else 1
    return f"{prefix}{serial:0{SERIAL_DIGITS}d}"


def update_card(card, changes, actor):
    """Apply ``changes``; returns the names of the fields that changed."""
    changes = dict(changes)
    if changes.get("card_number") not in (None, card.card_number):
        _check_card_number_free(changes["card_number"])
    return update_record(card, changes, actor)


def delete_card(card, actor):
    """Staff only; the card's logs go with it, so phones drop them too."""
    scope.require_staff(actor)
    logs = select(ContactLog).where(ContactLog.card_id == card.id, ContactLog.deleted_at.is_(None))
    for log in db.session.scalars(logs):
        delete_record(log, actor)
    delete_record(card, actor)


def create_log(values, actor):
    """A call, message or meeting; the card's last contact follows the newest log."""
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(ContactLog, record_id)
    card = scope.require_reference(ContactCard, values["card_id"], actor, "card_id", NO_CARD)
    log = create_record(ContactLog(**values, village_id=card.village_id), actor, record_id=record_id)
    _note_contact(card, log.contacted_on, actor)
    return log


def update_log(log, changes, actor):
    changed = update_record(log, dict(changes), actor)
    if "contacted_on" in changed:
        _note_contact(db.session.get(ContactCard, log.card_id), log.contacted_on, actor)
    return changed


def delete_log(log, actor):
    delete_record(log, actor)


def _note_contact(card, day, actor):
    if card.last_contact_on is None or day > card.last_contact_on:
        update_record(card, {"last_contact_on": day}, actor)


def _has_active_card(beneficiary_id):
    return db.session.scalar(
        select(ContactCard.id).where(
            ContactCard.beneficiary_id == beneficiary_id, ContactCard.deleted_at.is_(None)
        ).limit(1)
    ) is not None


def _check_card_number_free(number):
    # Deleted cards keep their number: it may still be printed on a card in someone's pocket.
    if db.session.scalar(select(ContactCard.id).where(ContactCard.card_number == number)):
        raise ValidationFailed({"card_number": [NUMBER_TAKEN]})


def list_statement(filters, actor):
    statement = scope.visible(
        select(ContactCard).join(Beneficiary, Beneficiary.id == ContactCard.beneficiary_id),
        ContactCard, actor,
    )
    if "village_id" in filters:
        statement = statement.where(ContactCard.village_id == filters["village_id"])
    if "township_id" in filters:
        villages = select(Region.id).where(Region.parent_id == filters["township_id"])
        statement = statement.where(ContactCard.village_id.in_(villages))
    if "beneficiary_id" in filters:
        statement = statement.where(ContactCard.beneficiary_id == filters["beneficiary_id"])
    if filters.get("work_city"):
        statement = statement.where(
            ContactCard.work_city.contains(filters["work_city"], autoescape=True)
        )
    if filters.get("work_province"):
        statement = statement.where(
            ContactCard.work_province.contains(filters["work_province"], autoescape=True)
        )
    if filters.get("q"):
        statement = statement.where(
            or_(
                Beneficiary.name.contains(filters["q"], autoescape=True),
                ContactCard.card_number == filters["q"].strip().upper(),
            )
        )
    return statement.order_by(ContactCard.village_id, Beneficiary.name, ContactCard.id)


def card_page(filters, actor):
    """One page of the contact register."""
    page = paginate(list_statement(filters, actor), filters["page"], filters["per_page"])
    page["beneficiaries"] = load_beneficiaries(page["items"])
    return page


def load_beneficiaries(cards):
    """The cards' beneficiaries, in one query, so that each card's ``beneficiary_name``
    is read from the session instead of one query per card. The session keeps loaded
    rows only while someone holds them: keep the list while the cards are dumped."""
    ids = {card.beneficiary_id for card in cards}
    if not ids:
        return []
    return db.session.scalars(select(Beneficiary).where(Beneficiary.id.in_(ids))).all()


def logs_statement(card, actor):
    """The card's logs, newest first."""
    statement = scope.visible(select(ContactLog), ContactLog, actor)
    return statement.where(ContactLog.card_id == card.id).order_by(
        ContactLog.contacted_on.desc(), ContactLog.created_at.desc(), ContactLog.id
    )
