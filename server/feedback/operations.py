"""Feedback rules, shared by the public form, the public API and the staff API.

A feedback moves received → assigned → replied → closed:

- anyone (no login) sends one, anonymously or through a card's token; the token
  links it to the card, its person and their village. The deadline (限时办结) is
  the day of receipt plus ``LIANXIN_FEEDBACK_DAYS`` (county time).
- staff assign it to a township or an officer (a township officer: within the
  township, or up to a county officer), while it is not yet answered;
- staff reply (the reply shows on the public status page); the first reply's time
  is kept, so "time to reply" is not reset by a corrected reply;
- staff close it once it is answered.

A liaison's opinion (server/feedback/opinions.py) is a feedback too (source "liaison")
and goes the same way; each step above mirrors its status and reply onto the opinion
(:func:`mirror_to_opinion`), so the liaison's phone pulls the reply.

It is overdue while unanswered after its deadline day. Reminders before and after
the deadline are the scheduler's; :func:`overdue_clause` is the rule it shares.
Every change goes through versioning (version, audit row). Operations flush; the
request commits.
"""

import secrets
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, not_, or_, select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.choices import FEEDBACK_SOURCES
from ..common.paging import paginate
from ..common.timeutil import county_today, county_zone, month_bounds, utcnow
from ..common.validators import normalize_phone
from ..contacts.models import ContactCard
from ..contacts.tokens import card_for_token
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..notifications.operations import notify
from ..records.versioning import create_record, update_record
from ..regions.models import Region
from ..users.models import User
from . import abuse
from .models import Feedback, Opinion
from .schemas import OPEN_STATUSES

RECEIPT_PREFIX = "FK"
ASSIGNABLE_ROLES = ("township_officer", "county_officer")
ALREADY_ANSWERED = "该意见已答复，不能再交办"
ALREADY_CLOSED = "该意见已办结"
NOT_ANSWERED = "答复后才能办结"
BAD_ASSIGNEE = "承办人须为在职的乡镇或县民政干部"
NOT_OF_TOWNSHIP = "该干部不属于所选乡镇"
TOKEN_REFUSED = "此连心卡二维码已失效（卡片可能已补办），您仍可匿名反映"


# --- from the migrant ------------------------------------------------------------------------


def deadline_for(day):
    return day + timedelta(days=current_app.config["LIANXIN_FEEDBACK_DAYS"])


def new_receipt_number(day):
    """``FK`` + the date + six random digits: nothing to count or walk through."""
    while True:
        number = f"{RECEIPT_PREFIX}{day:%Y%m%d}{secrets.randbelow(10**6):06d}"
        taken = db.session.scalar(select(Feedback.id).where(Feedback.receipt_number == number))
        if taken is None:
            return number


def submit(values, card=None, *, suspected=None):
    """Store a feedback form (text exactly as sent). ``card``: the card its token named.

    With a card, a missing phone or city is taken from the card's register entry, so
    the migrant can still look the feedback up and staff can call back. ``suspected``
    marks a form kept for staff that looks like a robot's.
    """
    today = county_today()
    feedback = Feedback(
        receipt_number=new_receipt_number(today),
        category=values["category"],
        text=values["text"],
        phone=values.get("phone") or (card.phone if card else None),
        city=values.get("city") or (card.work_city if card else None),
        status="received",
        deadline=deadline_for(today),
        reminders_sent=0,
        suspected=suspected,
        text_hash=abuse.text_hash(values["text"]),
    )
    if card is not None:
        feedback.card_id = card.id
        feedback.beneficiary_id = card.beneficiary_id
        feedback.village_id = card.village_id
    return create_record(feedback, None)


def receive(values):
    """A form from the public page or API: stamp, card token, the same text again, then
    :func:`submit`. Returns the receipt of what is stored — never one for nothing.

    The stamp sends once: sent again, it answers with the receipt of the feedback it
    sent when the form is the same (a double tap, a retried request), and is refused
    otherwise. Sent sooner than the minimum fill time, it is refused (the form is shown
    again with the text kept). A filled-in honeypot and a text already received from
    someone else in the last day are stored, marked for staff.
    """
    nonce, problem = abuse.read_stamp(values.get("stamp"))
    if problem:
        raise StampRefused(problem)
    card = None
    if values.get("token"):
        card = card_for_token(values["token"])
        if card is None:
            raise ValidationFailed({"token": [TOKEN_REFUSED]})
    phone = values.get("phone") or (card.phone if card else None)
    sent = abuse.stamped_feedback(nonce)
    if sent is False and not abuse.use_stamp(nonce):
        sent = abuse.stamped_feedback(nonce)  # another request used it just now
    if sent is not False:
        if sent is not None and _same_form(sent, values, card, phone):
            return receipt_of(sent)
        raise StampRefused("used")
    digest = abuse.text_hash(values["text"])
    suspected = "honeypot" if values.get("website") else None
    feedback = None
    for earlier in abuse.earlier_with_text(digest):
        if earlier.phone == phone and earlier.card_id == (card.id if card else None):
            feedback = earlier  # the same person sending the same text again
            break
        suspected = suspected or "duplicate"
    if feedback is None:
        feedback = submit(values, card, suspected=suspected)
    abuse.link_stamp(nonce, feedback)
    return receipt_of(feedback)


def _same_form(feedback, values, card, phone):
    return (feedback.text_hash == abuse.text_hash(values["text"])
            and feedback.category == values["category"] and feedback.phone == phone
            and feedback.card_id == (card.id if card else None))


class StampRefused(ValidationFailed):
    """The form's stamp does not let it be stored: ``reason`` "stale", "too_fast", "used"."""

    MESSAGES = {"stale": abuse.STALE_STAMP, "too_fast": abuse.TOO_FAST,
                "used": abuse.STAMP_USED}

    def __init__(self, reason):
        self.reason = reason
        super().__init__({"stamp": [self.MESSAGES[reason]]})


def receipt_of(feedback):
    return {
        "receipt_number": feedback.receipt_number,
        "status": feedback.status,
        "deadline": feedback.deadline,
        "trackable": bool(feedback.phone),
    }


def public_status(receipt, phone):
    """The feedback with this receipt number and phone, or None. Both must match, and
    either being wrong answers alike, so a receipt number alone tells nothing."""
    receipt = (receipt or "").strip().upper()
    phone = normalize_phone(phone)
    if not receipt or not phone:
        return None
    return db.session.scalar(
        select(Feedback).where(
            Feedback.receipt_number == receipt,
            Feedback.phone == phone,
            Feedback.deleted_at.is_(None),
        )
    )


def require_public_status(receipt, phone):
    """:func:`public_status`, or a 404 that says to check both."""
    feedback = public_status(receipt, phone)
    if feedback is None:
        raise NotFound("没有找到这条意见，请核对回执号和手机号", code="not_found")
    return feedback


# --- for staff -------------------------------------------------------------------------------


def overdue_clause(today):
    """Unanswered after the deadline day (the rule the list, stats and reminders share)."""
    return and_(Feedback.status.in_(OPEN_STATUSES), Feedback.deadline < today)


def _month_range(month):
    """``month`` ("YYYY-MM") in the county's time zone, as UTC instants [start, end)."""
    first, following = month_bounds(month)
    zone = county_zone()
    return tuple(
        datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) for day in (first, following)
    )


def _of_township(township_id):
    villages = select(Region.id).where(Region.parent_id == township_id)
    return or_(Feedback.village_id.in_(villages), Feedback.assigned_region_id == township_id)


def list_statement(filters, actor):
    """What ``actor`` may see, narrowed by the list filters; newest first."""
    statement = scope.visible_feedback(select(Feedback), Feedback, actor).where(
        Feedback.deleted_at.is_(None)
    )
    if filters.get("status"):
        statement = statement.where(Feedback.status == filters["status"])
    if filters.get("category"):
        statement = statement.where(Feedback.category == filters["category"])
    if filters.get("source"):
        statement = statement.where(Feedback.source == filters["source"])
    if filters.get("township_id"):
        statement = statement.where(_of_township(filters["township_id"]))
    if filters.get("village_id"):
        statement = statement.where(Feedback.village_id == filters["village_id"])
    if "overdue" in filters:
        late = overdue_clause(county_today())
        statement = statement.where(late if filters["overdue"] else not_(late))
    if "suspected" in filters:
        marked = Feedback.suspected.is_not(None)
        statement = statement.where(marked if filters["suspected"] else not_(marked))
    if filters.get("month"):
        start, end = _month_range(filters["month"])
        statement = statement.where(Feedback.created_at >= start, Feedback.created_at < end)
    if filters.get("q"):
        words = filters["q"].strip()
        statement = statement.where(or_(
            Feedback.receipt_number == words.upper(),
            Feedback.text.contains(words, autoescape=True),
        ))
    return statement.order_by(Feedback.created_at.desc(), Feedback.id)


def preload(feedbacks):
    """Load the cards, people, regions and users ``feedbacks`` name, a query each, so the
    schema's names are read from the session instead of one query per row."""
    def ids(attribute):
        return {getattr(f, attribute) for f in feedbacks if getattr(f, attribute) is not None}

    loaded = []
    for model, attributes in ((ContactCard, ("card_id",)), (Beneficiary, ("beneficiary_id",)),
                              (Region, ("village_id", "assigned_region_id")),
                              (User, ("assigned_user_id", "collected_by_id"))):
        wanted = set().union(*(ids(a) for a in attributes))
        if wanted:
            loaded += db.session.scalars(select(model).where(model.id.in_(wanted))).all()
    return loaded


def feedback_page(filters, actor):
    scope.require_staff(actor)
    page = paginate(list_statement(filters, actor), filters["page"], filters["per_page"])
    page["loaded"] = preload(page["items"])  # held with the page while it is serialized
    return page


def get_feedback(feedback_id, actor):
    """Staff only; one they may not handle is a 404."""
    scope.require_staff(actor)
    return scope.require_feedback(db.session.get(Feedback, feedback_id), actor)


def assign(feedback, values, actor):
    """To a township (``region_id``), an officer (``user_id``) or both; status → assigned."""
    scope.require_staff(actor)
    if feedback.status not in OPEN_STATUSES:
        raise Conflict(ALREADY_ANSWERED, code="feedback_answered")
    region = None
    if values.get("region_id"):
        region = scope.require_township(values["region_id"], actor, "region_id")
    assignee = _assignee(values.get("user_id"), region, actor)
    if region is None and assignee is not None and assignee.role == "township_officer":
        region = assignee.region
    changed = update_record(feedback, {
        "status": "assigned",
        "assigned_region_id": region.id if region else None,
        "assigned_user_id": assignee.id if assignee else None,
    }, actor, action="assign")
    mirror_to_opinion(feedback, actor)
    if assignee is not None and assignee.id != actor.id and "assigned_user_id" in changed:
        notify(assignee.id, "feedback_assigned", "新交办的征求意见",
               f"回执号 {feedback.receipt_number}，请于 {feedback.deadline:%Y-%m-%d} 前答复。",
               f"#/feedback/{feedback.id}")
    return changed


def _assignee(user_id, region, actor):
    if not user_id:
        return None
    person = db.session.get(User, user_id)
    if person is None or not person.active or person.role not in ASSIGNABLE_ROLES:
        raise ValidationFailed({"user_id": [BAD_ASSIGNEE]})
    if person.role == "township_officer":
        # A township officer hands work to colleagues of their township, or up to the county.
        if actor.role == "township_officer" and person.region_id != actor.region_id:
            raise ValidationFailed({"user_id": [scope.OUT_OF_SCOPE]})
        if region is not None and person.region_id != region.id:
            raise ValidationFailed({"user_id": [NOT_OF_TOWNSHIP]})
    return person


def reply(feedback, values, actor):
    """The answer the migrant reads on the status page; status → replied."""
    scope.require_staff(actor)
    if feedback.status == "closed":
        raise Conflict(ALREADY_CLOSED, code="feedback_closed")
    changes = {"reply": values["reply"], "status": "replied"}
    if feedback.replied_at is None:
        changes["replied_at"] = utcnow()
    changed = update_record(feedback, changes, actor, action="reply")
    opinion = mirror_to_opinion(feedback, actor)
    if opinion is not None and "reply" in changed and opinion.liaison_id != actor.id:
        notify(opinion.liaison_id, "opinion_replied", "您收集的意见已答复，请转告群众",
               f"回执号 {feedback.receipt_number}：{_short(feedback.reply)}",
               f"#/opinions/{opinion.id}")
    return changed


def close(feedback, actor):
    scope.require_staff(actor)
    if feedback.status == "closed":
        raise Conflict(ALREADY_CLOSED, code="feedback_closed")
    if feedback.status != "replied":
        raise Conflict(NOT_ANSWERED, code="feedback_not_replied")
    changed = update_record(feedback, {"status": "closed", "closed_at": utcnow()}, actor,
                            action="close")
    mirror_to_opinion(feedback, actor)
    return changed


def mirror_to_opinion(feedback, actor):
    """The liaison's opinion behind ``feedback`` (None for a migrant's form), brought up to
    the feedback's status and reply: the one place a feedback's handling reaches a phone.
    Called by every step that changes them, in the same transaction."""
    if feedback.source != "liaison":
        return None
    opinion = db.session.scalar(select(Opinion).where(Opinion.feedback_id == feedback.id))
    if opinion is None:
        return None
    update_record(opinion, {"status": feedback.status, "reply": feedback.reply,
                            "replied_at": feedback.replied_at}, actor)
    return opinion


def _short(text, length=40):
    return text if len(text) <= length else text[:length - 1] + "…"


def stats(filters, actor):
    """Resolution rate (closed ÷ received) and mean hours from receipt to the first reply,
    over the feedback received in ``month`` (all when omitted) that ``actor`` may see."""
    scope.require_staff(actor)
    return _figures(_stats_rows(filters, actor), filters.get("month"))


def _stats_rows(filters, actor):
    statement = list_statement(
        {key: filters[key] for key in ("month", "township_id", "village_id", "source")
         if filters.get(key)}, actor
    ).order_by(None).with_only_columns(
        Feedback.source, Feedback.status, Feedback.created_at, Feedback.replied_at,
        Feedback.deadline
    )
    return db.session.execute(statement).all()


def stats_by_source(filters, actor):
    """:func:`stats` per source (form, liaison), each with its reply rate (answered ÷
    received): what the dashboard shows of the feedback of ``month`` in the area
    (``township_id``, ``village_id``) that ``actor`` may see."""
    scope.require_staff(actor)
    rows = _stats_rows(filters, actor)
    out = []
    for source, label in FEEDBACK_SOURCES.items():
        figures = _figures([row for row in rows if row.source == source], filters.get("month"))
        out.append({
            "source": source, "label": label,
            **{key: figures[key] for key in ("received", "replied", "closed", "overdue",
                                             "mean_hours_to_reply")},
            "reply_rate": (round(figures["replied"] / figures["received"], 4)
                           if figures["received"] else None),
        })
    return out


def _figures(rows, month):
    today = county_today()
    received = len(rows)
    closed = sum(1 for row in rows if row.status == "closed")
    waits = [(row.replied_at - row.created_at).total_seconds() / 3600
             for row in rows if row.replied_at is not None]
    return {
        "month": month,
        "received": received,
        "open": sum(1 for row in rows if row.status in OPEN_STATUSES),
        "overdue": sum(1 for row in rows
                       if row.status in OPEN_STATUSES and row.deadline < today),
        "replied": len(waits),
        "closed": closed,
        "resolution_rate": round(closed / received, 4) if received else None,
        "mean_hours_to_reply": round(sum(waits) / len(waits), 1) if waits else None,
    }
