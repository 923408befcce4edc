"""Reminders: mediation cases left idle, feedback near or past its deadline.

Mediation. An open or mediating case whose last change — to the case or to any
of its sessions — is ``LIANXIN_MEDIATION_STALE_DAYS`` (14) county days old or more
reminds the liaison(s) of its village (the township officers when the village has
none). It reminds once per idle fortnight: on the 14th idle day, the 28th, … —
never every night. Each reminder is recorded in ``sent_reminder`` under the day
of the last change and the fortnight's number, so a touched case starts afresh.

Feedback. ``Feedback.reminders_sent`` is a bitmask, one bit per reminder, so
each goes out once whatever the number of runs:

- ``DUE_SOON`` (1): from ``LIANXIN_FEEDBACK_REMIND_DAYS`` (3) days before the
  deadline, to the assigned staff;
- ``DUE_TODAY`` (2): on the deadline day, to the assigned staff;
- ``ESCALATED`` (4): the day after, while unanswered (``overdue_clause``), to
  every county officer.

The assigned staff are the assigned officer; else the township officers of the
assigned region (for a village: of its township); else the county officers. A
reminder whose day passed while the scheduler was down is not sent late: the
next one in line is.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..beneficiaries.models import Beneficiary
from ..common.choices import FEEDBACK_CATEGORIES, MEDIATION_KINDS
from ..common.timeutil import county_today
from ..extensions import db
from ..feedback.models import Feedback
from ..feedback.operations import overdue_clause
from ..feedback.schemas import OPEN_STATUSES
from ..mediation.models import MediationCase, MediationSession
from ..mediation.schemas import CLOSED_STATUSES
from ..notifications.senders import Message, deliver
from ..records.versioning import update_record
from ..regions.models import Region
from ..users.models import User
from .models import SentReminder

DUE_SOON, DUE_TODAY, ESCALATED = 1, 2, 4
STEP_NAMES = {DUE_SOON: "due_soon", DUE_TODAY: "due_today", ESCALATED: "escalated"}
IDLE_CASE = "mediation_idle"


# --- who -------------------------------------------------------------------------------


def _active_users(*conditions):
    return db.session.scalars(
        select(User).where(User.active.is_(True), *conditions).order_by(User.id)
    ).all()


def county_officers():
    return _active_users(User.role == "county_officer")


def township_officers(township_id):
    return _active_users(User.role == "township_officer", User.region_id == township_id)


def village_liaisons(village_id):
    return _active_users(User.role == "liaison", User.region_id == village_id)


def staff_of_region(region_id):
    """The officers who answer for a region: its township's, or the county's."""
    region = db.session.get(Region, region_id) if region_id else None
    if region is None or region.level == "county":
        return county_officers()
    township_id = region.id if region.level == "township" else region.parent_id
    return township_officers(township_id) or county_officers()


# --- mediation -------------------------------------------------------------------------


def _short(text, length=30):
    return text if len(text) <= length else text[:length - 1] + "…"


def remind_idle_cases(now):
    """Remind the villages of idle cases; returns the number of cases reminded."""
    stale_days = current_app.config["LIANXIN_MEDIATION_STALE_DAYS"]
    today = county_today(now)
    last_session = (
        select(func.max(MediationSession.updated_at))
        .where(MediationSession.case_id == MediationCase.id, MediationSession.deleted_at.is_(None))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(MediationCase, Beneficiary.name, last_session)
        .join(Beneficiary, Beneficiary.id == MediationCase.beneficiary_id)
        .where(
            MediationCase.status.not_in(CLOSED_STATUSES),
            MediationCase.deleted_at.is_(None),
            # the case itself must be idle for the case and its sessions to be
            MediationCase.updated_at < now - timedelta(days=stale_days - 1),
        ).order_by(MediationCase.opened_on, MediationCase.id)
    ).all()
    reminded = 0
    for case, name, session_at in rows:
        last_day = county_today(max(case.updated_at, session_at or case.updated_at))
        idle = (today - last_day).days
        fortnight = idle // stale_days
        if fortnight < 1:
            continue
        occasion = f"{last_day.isoformat()}#{fortnight}"
        if _already_sent(IDLE_CASE, case.id, occasion):
            continue
        recipients = village_liaisons(case.village_id) or staff_of_region(case.village_id)
        deliver(recipients, Message(
            kind=IDLE_CASE,
            title="纠纷调解久未进展",
            body=(f"{name}的{MEDIATION_KINDS.get(case.kind, case.kind)}纠纷（{_short(case.parties)}）"
                  f"已{idle}天没有新的调解记录，请尽快跟进。"),
            link=f"#/case/{case.id}",
        ))
        db.session.add(SentReminder(topic=IDLE_CASE, subject=str(case.id), occasion=occasion,
                                    sent_at=now))
        reminded += 1
    db.session.flush()
    return reminded


def _already_sent(topic, subject, occasion):
    return db.session.scalar(
        select(SentReminder.id).where(
            SentReminder.topic == topic, SentReminder.subject == str(subject),
            SentReminder.occasion == occasion,
        )
    ) is not None


# --- feedback --------------------------------------------------------------------------


def _feedback_message(feedback, step, today):
    category = FEEDBACK_CATEGORIES.get(feedback.category, feedback.category)
    about = f"回执号 {feedback.receipt_number}（{category}）"
    deadline = f"{feedback.deadline:%Y-%m-%d}"
    link = f"#/feedback/{feedback.id}"
    if step == DUE_SOON:
        days = (feedback.deadline - today).days
        return Message("feedback_due_soon", "征求意见即将到期",
                       f"{about}办理期限为{deadline}，还剩{days}天，请及时答复。", link)
    if step == DUE_TODAY:
        return Message("feedback_due_today", "征求意见今天到期",
                       f"{about}办理期限为今天（{deadline}），请今天内答复。", link)
    days = (today - feedback.deadline).days
    return Message("feedback_overdue", "征求意见逾期督办",
                   f"{about}已超过办理期限{deadline}共{days}天，尚未答复，请督办。", link)


def _step(feedback, today, remind_days):
    if today > feedback.deadline:
        return ESCALATED
    if today == feedback.deadline:
        return DUE_TODAY
    if today >= feedback.deadline - timedelta(days=remind_days):
        return DUE_SOON
    return None


def remind_feedback_deadlines(today):
    """Send the deadline reminders due ``today``; returns counts per kind of reminder."""
    remind_days = current_app.config["LIANXIN_FEEDBACK_REMIND_DAYS"]
    candidates = db.session.scalars(
        select(Feedback).where(
            Feedback.status.in_(OPEN_STATUSES),
            Feedback.deleted_at.is_(None),
            Feedback.deadline <= today + timedelta(days=remind_days),
        ).order_by(Feedback.deadline, Feedback.id)
    ).all()
    overdue = set(db.session.scalars(
        select(Feedback.id).where(overdue_clause(today), Feedback.deleted_at.is_(None))
    ))
    sent = dict.fromkeys(STEP_NAMES.values(), 0)
    for feedback in candidates:
        step = _step(feedback, today, remind_days)
        if step is None or feedback.reminders_sent & step:
            continue
        if step == ESCALATED and feedback.id not in overdue:
            continue
        recipients = county_officers() if step == ESCALATED else assigned_staff(feedback)
        deliver(recipients, _feedback_message(feedback, step, today))
        update_record(feedback, {"reminders_sent": feedback.reminders_sent | step}, None,
                      action="remind")
        sent[STEP_NAMES[step]] += 1
    return sent


def assigned_staff(feedback):
    if feedback.assigned_user_id is not None:
        assignee = db.session.get(User, feedback.assigned_user_id)
        if assignee is not None and assignee.active:
            return [assignee]
    return staff_of_region(feedback.assigned_region_id)
