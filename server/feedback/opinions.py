"""Opinions a liaison collects (意见收集): rules shared by the REST API and sync.

A liaison records a villager's opinion, request or complaint on the phone, offline:
the feedback form's category, the text, the person when known (or 匿名). Stored, it is
two records made together: a :class:`Feedback` with source "liaison" — the same
workflow as a migrant's form (the 限时办结 deadline, assignment, reply, close,
reminders, escalation: server/feedback/operations.py, server/jobs/reminders.py) — and
the :class:`Opinion` the phone holds, which mirrors the feedback's status and reply
(``operations.mirror_to_opinion``). Once answered the liaison tells the villager and
marks it 已转告 (``relayed_on``); nothing else of an opinion changes once it is sent.

Its village is the person's, or the liaison's own when nobody is named; officers may
record one too, for a person of their area.
"""

from sqlalchemy import select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.paging import paginate
from ..common.timeutil import county_today
from ..errors import ValidationFailed
from ..extensions import db
from ..records.versioning import create_record, require_new_id, update_record
from .models import Feedback, Opinion
from .operations import deadline_for, new_receipt_number
from .schemas import NOT_YET_REPLIED

NO_BENEFICIARY = "优抚对象不存在或不在您的管辖范围内"
PERSON_NEEDED = "乡镇、县干部记录意见须指定优抚对象"
SENT = "意见已提交办理，不能修改；如有补充请另记一条"
BEFORE_REPLY = "不能早于答复日期"
RELAYABLE = frozenset({"relayed_on"})


def create_opinion(values, actor):
    """The opinion and its feedback (received today, county time, with the forms'
    deadline), each with its audit row."""
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(Opinion, record_id)
    # (an anonymous opinion naming a person, or one relayed before it is sent, is refused
    # by the create schema's rules: server/feedback/schemas.py opinion_rules)
    village_id = _village_of(values, actor)
    today = county_today()
    feedback = create_record(Feedback(
        receipt_number=new_receipt_number(today),
        source="liaison",
        collected_by_id=actor.id,
        village_id=village_id,
        beneficiary_id=values.get("beneficiary_id"),
        category=values["category"],
        text=values["text"],
        status="received",
        deadline=deadline_for(today),
        reminders_sent=0,
    ), actor)
    opinion = Opinion(
        beneficiary_id=values.get("beneficiary_id"),
        anonymous=bool(values.get("anonymous")),
        category=values["category"],
        text=values["text"],
        collected_on=values["collected_on"],
        relayed_on=None,
        village_id=village_id,
        liaison_id=actor.id,
        feedback_id=feedback.id,
        receipt_number=feedback.receipt_number,
        status=feedback.status,
        deadline=feedback.deadline,
    )
    return create_record(opinion, actor, record_id=record_id)


def _village_of(values, actor):
    if values.get("beneficiary_id"):
        person = scope.require_reference(
            Beneficiary, values["beneficiary_id"], actor, "beneficiary_id", NO_BENEFICIARY)
        return person.village_id
    if scope.is_staff(actor):
        raise ValidationFailed({"beneficiary_id": [PERSON_NEEDED]})
    return scope.require_village(actor.region_id, actor, "beneficiary_id").id


def update_opinion(opinion, changes, actor):
    """Only 已转告 (``relayed_on``) changes, and only once the opinion is answered: not
    before the reply's day (county time). Clearing it is always allowed."""
    changes = dict(changes)
    refused = {name: [SENT] for name, value in changes.items()
               if name not in RELAYABLE and value != getattr(opinion, name)}
    if refused:
        raise ValidationFailed(refused)
    relayed_on = changes.get("relayed_on")
    if relayed_on is not None:
        if opinion.replied_at is None:
            raise ValidationFailed({"relayed_on": [NOT_YET_REPLIED]})
        if relayed_on < county_today(opinion.replied_at):
            raise ValidationFailed({"relayed_on": [BEFORE_REPLY]})
    return update_record(opinion, {name: changes[name] for name in RELAYABLE if name in changes},
                         actor)


def list_statement(filters, actor):
    """The opinions of ``actor``'s area, newest first."""
    statement = scope.visible(select(Opinion), Opinion, actor)
    if filters.get("village_id"):
        statement = statement.where(Opinion.village_id == filters["village_id"])
    if filters.get("status"):
        statement = statement.where(Opinion.status == filters["status"])
    if "relayed" in filters:
        relayed = Opinion.relayed_on.is_not(None)
        statement = statement.where(relayed if filters["relayed"] else ~relayed)
    return statement.order_by(Opinion.collected_on.desc(), Opinion.created_at.desc(), Opinion.id)


def opinion_page(filters, actor):
    return paginate(list_statement(filters, actor), filters["page"], filters["per_page"])


def get_opinion(opinion_id, actor):
    return scope.require(db.session.get(Opinion, opinion_id), actor)
