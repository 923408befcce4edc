"""Visit task rules: which tasks exist, and when they are done or overdue.

Three kinds (``TASK_KINDS``):

- ``monthly`` — every active beneficiary, every month (``period`` "YYYY-MM"), due on
  the visit day (``LIANXIN_VISIT_DAY``). Made for everyone on the 1st by the
  scheduler, and at once, in the same transaction, for a person registered during
  the month: their task is due on the visit day, or on the day they were
  registered when that is later (nobody starts out overdue). Done by a monthly
  visit dated in the month (``settle_monthly_tasks`` in operations.py), whenever it
  arrives; a task made after that visit is made done.
- ``follow_up`` — a visit that names a follow-up date (``follow_up_due``) asks for
  one, due on that date.
- ``revisit`` — a sick visit asks for one, due on its follow-up date if it names
  one, else ``LIANXIN_SICK_REVISIT_DAYS`` (7) days after the visit. One task per
  visit: a sick visit's follow-up date is its revisit date.

A follow-up or revisit is done by the first later visit of the same person — of
any type, dated after the visit that asked for it (the same day does not count:
that is still the first call). Follow-up tasks follow their visit: a changed date
moves the task, a deleted visit or a dropped follow-up date deletes the open task,
and a task whose closing visit is deleted or moved is handed to another later
visit or reopened.

Overdue: a monthly task once the visit day plus ``LIANXIN_OVERDUE_GRACE_DAYS`` (3)
has passed; a follow-up or revisit the day after its date. ``overdue_days``
counts the days since the due date and is refreshed nightly while the task is
open. Tasks of people no longer active (deceased, moved away, deleted) are left
as they are.

Every change goes through create_record/update_record/delete_record, so phones
receive tasks by sync and each change has its audit row. Functions here flush;
the caller commits. Bulk functions take ``checkpoint``: a callable invoked every
``BATCH`` records, where the scheduler commits so that a county-wide run does not
hold SQLite's write lock for minutes.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import current_app
from sqlalchemy import Date, Uuid, and_, case, cast, exists, literal, null, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from ..beneficiaries.models import Beneficiary
from ..common.bulk import new_uuid
from ..common.timeutil import month_bounds, visit_day_for
from ..extensions import db
from ..records.versioning import (
    create_record,
    create_selected,
    delete_record,
    update_record,
    update_records,
)
from .models import Visit, VisitTask

BATCH = 500
# People named in one statement (SQLite takes so many parameters), and villages whose
# tasks the 1st's run makes in one transaction (about 11,000 people in a county).
ID_CHUNK = 900
VILLAGES_AT_ONCE = 48
WRITERS = 2
FOLLOW_UP_KINDS = ("follow_up", "revisit")
OPEN = ("due", "overdue")


def _config(name):
    return current_app.config[name]


def period_of(day):
    return f"{day:%Y-%m}"


def grace_days(kind):
    return _config("LIANXIN_OVERDUE_GRACE_DAYS") if kind == "monthly" else 0


def open_status(task, today):
    """(status, overdue_days) of a task nobody has done yet, on ``today``."""
    if today > task.due_on + timedelta(days=grace_days(task.kind)):
        return "overdue", (today - task.due_on).days
    return "due", 0


def _chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- monthly tasks ---------------------------------------------------------------------


def monthly_due_on(today):
    """The due date of this month's task for someone who gets it on ``today``."""
    return max(visit_day_for(today.year, today.month), today)


def _first_monthly_visit(period):
    """SQL: the first live monthly visit of ``period`` of the person of each row."""
    first, following = month_bounds(period)
    visit = Visit.__table__.c
    return select(visit.id).where(
        visit.beneficiary_id == Beneficiary.id,
        visit.visit_type == "monthly",
        visit.visited_on >= first,
        visit.visited_on < following,
        visit.deleted_at.is_(None),
    ).order_by(visit.visited_on, visit.id).limit(1).scalar_subquery()


def _has_monthly_task(period):
    return exists().where(
        VisitTask.beneficiary_id == Beneficiary.id,
        VisitTask.kind == "monthly",
        VisitTask.period == period,
        VisitTask.deleted_at.is_(None),
    )


def _monthly_tasks_of(today, where, *, new=False):
    """SQL: this month's new task for each active person matching ``where`` who lacks one
    (every column of the task, as the bulk path's create_selected takes it).

    ``new``: the people were created just now, so none has a task or a visit to look
    for — a lookup that, while a large import fills the table faster than its
    statistics follow, PostgreSQL answers by scanning every task of the month."""
    period, due_on = period_of(today), monthly_due_on(today)
    status, overdue_days = open_status(VisitTask(kind="monthly", due_on=due_on), today)
    dialect = db.session.get_bind().dialect.name
    if new:
        done, done_status, done_days = null(), literal(status), literal(overdue_days)
    else:
        done = _first_monthly_visit(period)
        done_status = case((done.is_(None), status), else_="done")
        done_days = case((done.is_(None), overdue_days), else_=0)
    condition = [Beneficiary.status == "active", Beneficiary.deleted_at.is_(None), *where]
    if not new:
        condition.append(~_has_monthly_task(period))
    return select(
        new_uuid(dialect).label("id"), Beneficiary.id.label("beneficiary_id"),
        Beneficiary.village_id.label("village_id"), literal("monthly").label("kind"),
        literal(period).label("period"), literal(due_on, type_=Date).label("due_on"),
        done_status.label("status"), done_days.label("overdue_days"),
        cast(done, Uuid).label("done_visit_id"),
    ).where(*condition)


def ensure_monthly_task(beneficiary, today, actor=None):
    """This month's task for one person, made now if they are active and lack one;
    None for someone not active."""
    ensure_monthly_tasks_for([beneficiary], today, actor)
    return db.session.scalar(select(VisitTask).where(
        VisitTask.beneficiary_id == beneficiary.id, VisitTask.kind == "monthly",
        VisitTask.period == period_of(today), VisitTask.deleted_at.is_(None),
    ).order_by(VisitTask.created_at).limit(1))


def ensure_monthly_tasks_for(people, today, actor=None, *, new=False):
    """This month's task for each of ``people`` (records with an ``id``) who is active
    and lacks one, made by the bulk path (create_selected: the tasks, their change-log
    and audit rows written by the database, a few statements for any number);
    returns how many were made.

    The one path for a person registered by hand or by sync, a roster import and the
    1st's run for the whole county (:func:`ensure_monthly_tasks`). ``new``: the people
    were created just now (what a new person comes with).
    """
    ids = list(dict.fromkeys(person.id for person in people))
    made = 0
    for chunk in _chunks(ids, ID_CHUNK):
        made += create_selected(VisitTask, _monthly_tasks_of(
            today, [Beneficiary.id.in_(chunk)], new=new), actor)
    return made


def _writers():
    """How many sessions may write batches at once: ``WRITERS`` on PostgreSQL when each
    session gets a connection of its own (not when the session is held to one
    connection, as a test's rolled-back transaction is); else one."""
    bind = db.session.get_bind()
    return WRITERS if bind.dialect.name == "postgresql" and isinstance(bind, Engine) else 1


def ensure_monthly_tasks(today, actor=None, checkpoint=None):
    """Give every active person this month's task; returns how many were made.

    Run on the 1st this makes them all, some villages at a time; on any later day it
    only finds people who became active since (a restored record, a status set back
    to active). ``checkpoint``: the caller lets each batch commit (the scheduler), so
    SQLite's write lock is never held for minutes and a run cut short is completed by
    the next. Then on PostgreSQL ``WRITERS`` batches are written at once, each in a
    session of its own (``checkpoint`` is called in the writer's app context, where
    ``db.session`` is that session): the database's work, not Python's, is what a batch
    costs, and a second backend does it on a second core.
    """
    villages = db.session.scalars(select(Beneficiary.village_id).where(
        Beneficiary.status == "active", Beneficiary.deleted_at.is_(None),
        ~_has_monthly_task(period_of(today))).distinct().order_by(Beneficiary.village_id)).all()
    batches = list(_chunks(villages, VILLAGES_AT_ONCE))

    def write(batch):
        return create_selected(VisitTask, _monthly_tasks_of(
            today, [Beneficiary.village_id.in_(batch)]), actor)

    if checkpoint is None or _writers() == 1:
        made = 0
        for batch in batches:
            made += write(batch)
            if checkpoint:
                checkpoint()
        return made
    checkpoint()  # what the writers read is committed
    app = current_app._get_current_object()

    def write_alone(batch):
        with app.app_context():  # a session of its own, which the checkpoint commits
            made = write(batch)
            checkpoint()
            return made

    with ThreadPoolExecutor(_writers()) as pool:
        return sum(pool.map(write_alone, batches))


# --- overdue ---------------------------------------------------------------------------


def mark_overdue_tasks(today, actor=None, checkpoint=None):
    """Turn open tasks past their due date (plus grace) overdue and refresh their day count.

    Returns the number of tasks changed.
    """
    grace = timedelta(days=_config("LIANXIN_OVERDUE_GRACE_DAYS"))
    late = or_(
        and_(VisitTask.kind == "monthly", VisitTask.due_on < today - grace),
        and_(VisitTask.kind != "monthly", VisitTask.due_on < today),
    )
    candidates = db.session.scalars(
        select(VisitTask.id)
        .join(Beneficiary, Beneficiary.id == VisitTask.beneficiary_id)
        .where(
            VisitTask.status.in_(OPEN),
            VisitTask.deleted_at.is_(None),
            Beneficiary.status == "active",
            Beneficiary.deleted_at.is_(None),
            late,
        ).order_by(VisitTask.due_on, VisitTask.id)
    ).all()
    changed = 0
    for chunk in _chunks(candidates):
        for task in db.session.scalars(select(VisitTask).where(VisitTask.id.in_(chunk))):
            status, days = open_status(task, today)
            if update_record(task, {"status": status, "overdue_days": days}, actor):
                changed += 1
        if checkpoint:
            checkpoint()
    return changed


# --- follow-ups and revisits -----------------------------------------------------------


def wanted_follow_up(visit):
    """(kind, due date) of the task ``visit`` asks for, or None."""
    if visit.deleted_at is not None:
        return None
    if visit.visit_type == "sick":
        days = _config("LIANXIN_SICK_REVISIT_DAYS")
        return "revisit", visit.follow_up_due or visit.visited_on + timedelta(days=days)
    if visit.follow_up_due is not None:
        return "follow_up", visit.follow_up_due
    return None


def _closing_visit(task, source):
    """The first live visit of the person after ``source``: the one that did the task."""
    if source is None or source.deleted_at is not None:
        return None
    return db.session.scalar(
        select(Visit.id).where(
            Visit.beneficiary_id == task.beneficiary_id,
            Visit.visited_on > source.visited_on,
            Visit.deleted_at.is_(None),
        ).order_by(Visit.visited_on, Visit.id).limit(1)
    )


def _settle(task, source, actor):
    """Mark ``task`` done by the visit that did it, or reopen it when none does any more."""
    closing = _closing_visit(task, source)
    if closing is not None:
        values = {"status": "done", "done_visit_id": closing}
    elif task.status == "done":
        values = {"status": "due", "done_visit_id": None}  # the nightly job re-marks overdue
    else:
        return
    update_record(task, values, actor)


def plan_follow_up(visit, actor=None, *, new=False):
    """Make the follow-up task of ``visit`` match what the visit asks for.

    ``new``: the visit was just created, so no task has it as source yet.
    """
    wanted = wanted_follow_up(visit)
    if new and wanted is None:
        return None
    task = None if new else db.session.scalar(
        select(VisitTask).where(
            VisitTask.source_visit_id == visit.id, VisitTask.kind.in_(FOLLOW_UP_KINDS)
        ).order_by(VisitTask.deleted_at.is_not(None), VisitTask.created_at).limit(1)
    )
    if wanted is None:
        if task is not None and task.deleted_at is None and (
            task.status != "done" or visit.deleted_at is not None
        ):
            delete_record(task, actor)
        return None
    kind, due_on = wanted
    if task is None:
        task = create_record(VisitTask(
            beneficiary_id=visit.beneficiary_id, village_id=visit.village_id, kind=kind,
            period=period_of(due_on), due_on=due_on, status="due", overdue_days=0,
            source_visit_id=visit.id,
        ), actor)
    else:
        values = {"kind": kind, "period": period_of(due_on), "due_on": due_on, "deleted_at": None}
        if task.status != "done" and task.due_on != due_on:
            values.update(status="due", overdue_days=0)  # the nightly job re-marks overdue
        update_record(task, values, actor)
    _settle(task, visit, actor)
    return task


# Built once: adapting the join condition to a fresh alias on every call cost more than
# the query itself. Statements are immutable, so sharing them is safe.
_SOURCE = aliased(Visit)
_FOLLOW_UPS_WITH_SOURCE = select(VisitTask, _SOURCE).join(
    _SOURCE, _SOURCE.id == VisitTask.source_visit_id
).where(VisitTask.kind.in_(FOLLOW_UP_KINDS), VisitTask.deleted_at.is_(None))


def settle_follow_ups(visit, actor=None, *, new=False):
    """Keep follow-up and revisit tasks in step with a visit that was written.

    A live visit does the open tasks its person's earlier visits asked for; tasks
    it had done but no longer does (deleted, or moved to an earlier date) are
    handed on or reopened.
    """
    source, base = _SOURCE, _FOLLOW_UPS_WITH_SOURCE
    # A visit just created has done no task yet (done_visit_id is a foreign key).
    handed_back = [] if new else db.session.execute(
        base.where(VisitTask.done_visit_id == visit.id)
    ).all()
    for task, asked_by in handed_back:
        if visit.deleted_at is not None or visit.visited_on <= asked_by.visited_on:
            _settle(task, asked_by, actor)
    if visit.deleted_at is not None:
        return
    to_close = db.session.execute(
        base.where(
            VisitTask.beneficiary_id == visit.beneficiary_id,
            VisitTask.status.in_(OPEN),
            source.visited_on < visit.visited_on,
        )
    ).all()
    for task, asked_by in to_close:
        _settle(task, asked_by, actor)


def reconcile_follow_ups(since, actor=None, checkpoint=None):
    """Nightly safety net: follow-up tasks for visits written since ``since`` that lack one.

    Visits written through operations.py get their task at once; this catches
    visits written by other means (an import, a repaired row). Returns the number
    of visits put right.
    """
    live_task = exists().where(
        VisitTask.source_visit_id == Visit.id,
        VisitTask.kind.in_(FOLLOW_UP_KINDS),
        VisitTask.deleted_at.is_(None),
    )
    wants = or_(Visit.visit_type == "sick", Visit.follow_up_due.is_not(None))
    candidates = db.session.scalars(
        select(Visit).where(
            Visit.updated_at >= since,
            or_(
                and_(Visit.deleted_at.is_(None), wants, ~live_task),
                and_(Visit.deleted_at.is_not(None), live_task),
            ),
        ).order_by(Visit.updated_at, Visit.id)
    ).all()
    for number, visit in enumerate(candidates, 1):
        plan_follow_up(visit, actor)
        settle_follow_ups(visit, actor)
        if checkpoint and number % BATCH == 0:
            checkpoint()
    return len(candidates)


def settle_tasks(visit, actor=None, *, new=False):
    """Every task rule a written visit touches (called by the visit operations).

    ``new``: ``visit`` was just created (lookups of tasks naming it are skipped).
    """
    plan_follow_up(visit, actor, new=new)
    settle_follow_ups(visit, actor, new=new)


# The same, with only the date and deletion of the visit that asked (a run reads no more).
_FOLLOW_UPS_WITH_SOURCE_DATE = select(VisitTask, _SOURCE.visited_on, _SOURCE.deleted_at).join(
    _SOURCE, _SOURCE.id == VisitTask.source_visit_id
).where(VisitTask.kind.in_(FOLLOW_UP_KINDS), VisitTask.deleted_at.is_(None))


def settle_new_visits(visits, actor=None):
    """:func:`settle_tasks` for many visits just created, in their order.

    Tasks belong to one person, so people are settled independently. A person with a
    new visit that asks for a follow-up goes through the rules one visit at a time.
    For everyone else a new visit can only close open tasks, which is done for all
    of them at once (:func:`_close_follow_ups`), a few queries in all instead of two
    per visit. A task is closed by the first later visit, as the rule says, even when
    the run lists that visit after a later-dated one.
    """
    asking = {visit.beneficiary_id for visit in visits if wanted_follow_up(visit)}
    for visit in visits:
        if visit.beneficiary_id in asking:
            settle_tasks(visit, actor, new=True)
    _close_follow_ups([visit for visit in visits if visit.beneficiary_id not in asking], actor)


def _close_follow_ups(visits, actor):
    """Close the open follow-ups and revisits that new ``visits`` (asking for none) do.

    One at a time, a new visit closes each open task of its person whose source
    visit is dated before it, naming the first live visit after that source. So a
    task is closed when any new visit of its person is later than its source, by
    the first live visit after the source (the new ones are written already, so
    counted).
    """
    latest = {}
    for visit in visits:
        person = visit.beneficiary_id
        if visit.deleted_at is None and (person not in latest or visit.visited_on > latest[person]):
            latest[person] = visit.visited_on
    due = []
    for chunk in _chunks(list(latest)):
        rows = db.session.execute(_FOLLOW_UPS_WITH_SOURCE_DATE.where(
            VisitTask.beneficiary_id.in_(chunk), VisitTask.status.in_(OPEN))).all()
        due += [(task, asked_on) for task, asked_on, asked_gone in rows
                if asked_gone is None and asked_on < latest[task.beneficiary_id]]
    if not due:
        return
    live, visit = {}, Visit.__table__.c
    for chunk in _chunks(list({task.beneficiary_id for task, _ in due})):
        for person, visited_on, visit_id in db.session.execute(
                select(visit.beneficiary_id, visit.visited_on, visit.id).where(
                    visit.beneficiary_id.in_(chunk), visit.deleted_at.is_(None))):
            live.setdefault(person, []).append((visited_on, visit_id))
    closing = []
    for task, asked_on in due:
        _, first_after = min(v for v in live[task.beneficiary_id] if v[0] > asked_on)
        closing.append((task, {"status": "done", "done_visit_id": first_after}))
    update_records(closing, actor)
