"""Visit rules, shared by the REST API and sync.

Who may change or delete a visit:

- the liaison who recorded it, and staff (township officer, county officer,
  admin) whose scope holds its village. Staff may correct a liaison's record —
  a wrong date or a typo seen during review — instead of returning it for a
  trivial fix; the audit row names the staff member who changed it, while
  ``liaison_id`` keeps naming who made the visit. Another liaison of the same
  village may read the visit but not change it.
- Nobody, once it is approved: approval locks the record (409 ``visit_locked``).
- Changing a returned visit resubmits it: ``review_status`` goes back to
  ``pending`` in the same versioned change.

Only staff review, and an approved visit is not reviewed again.
"""

from sqlalchemy import select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import month_bounds, utcnow
from ..errors import ApiError, Conflict, Forbidden, ValidationFailed
from ..extensions import db
from ..mediation.models import MediationCase
from ..notifications.senders import Message, deliver
from ..policies.operations import explained, titles_of
from ..records.versioning import (
    create_record,
    create_records,
    delete_record,
    taken_ids,
    update_record,
    update_records,
)
from ..regions.models import Region
from ..users.models import User
from . import tasks
from .models import Visit, VisitTask
from .photos import link_photos, require_readable_photos
from .values import clean_details, visit_rule_errors

VISIT_FIELDS = (
    "beneficiary_id", "visit_type", "visited_on", "summary", "needs", "actions",
    "follow_up_due", "details", "case_id", "photo_ids", "location", "policies_explained",
    "services",
)
NOT_YOUR_VISIT = "只有记录走访的联络员或民政干部可以修改"
LOCKED = "已审核，不能修改"
REVIEW_OUTCOMES = {"approve": "approved", "return": "returned"}


def _require_editor(visit, actor):
    scope.require(visit, actor)
    if visit.liaison_id != actor.id and not scope.is_staff(actor):
        raise Forbidden(NOT_YOUR_VISIT, code="not_visit_owner")


def _require_unlocked(visit):
    if visit.review_status == "approved":
        raise Conflict(LOCKED, code="visit_locked", errors={"review_status": [LOCKED]})


def _check_case(case_id, beneficiary_id):
    if case_id is None:
        return
    case = db.session.get(MediationCase, case_id)
    if case is None or case.deleted_at is not None or case.beneficiary_id != beneficiary_id:
        raise ValidationFailed({"case_id": ["调解案件不存在或不属于该优抚对象"]})


def _photo_ids(values):
    # JSON columns hold plain strings, not UUID objects
    return [str(photo_id) for photo_id in values or []]


def current_values(visit):
    return {name: getattr(visit, name) for name in VISIT_FIELDS}


def _new_visit(values, actor, beneficiary, taken, titles=None):
    """A new, unsaved visit from loaded ``values``, once every rule allows it.

    ``beneficiary``: the person it names if the actor may write about them (None
    otherwise); ``taken``: ids already in use; ``titles``: the explained policies'
    titles, read for a whole batch (policies.operations.titles_of).
    """
    values = {name: values[name] for name in (*VISIT_FIELDS, "id") if name in values}
    record_id = values.pop("id", None)
    if beneficiary is None:
        raise ValidationFailed({"beneficiary_id": [scope.OUT_OF_SCOPE]})
    values["details"] = values.get("details") or {}
    errors = visit_rule_errors(values)
    if errors:
        raise ValidationFailed(errors)
    _check_case(values.get("case_id"), beneficiary.id)
    if record_id is not None and record_id in taken:
        raise ValidationFailed({"id": ["该编号已被使用"]})
    values["details"] = clean_details(values["visit_type"], values["details"])
    values["photo_ids"] = _photo_ids(values.get("photo_ids"))
    values["policies_explained"] = explained(values.get("policies_explained"), titles=titles)
    values["services"] = values.get("services") or []
    require_readable_photos(values["photo_ids"], actor)
    visit = Visit(
        **values, liaison_id=actor.id, village_id=beneficiary.village_id, review_status="pending"
    )
    if record_id is not None:
        visit.id = record_id
    return visit


def create_visit(values, actor):
    beneficiary = scope.require_reference(
        Beneficiary, values.get("beneficiary_id"), actor, "beneficiary_id", scope.OUT_OF_SCOPE
    )
    visit = _new_visit(values, actor, beneficiary, taken_ids(Visit, [values.get("id")]))
    create_record(visit, actor)
    link_photos(visit, actor, new=True)
    _settle_tasks(visit, actor, new=True)
    return visit


def create_visits(items, actor):
    """Many new visits at once (a phone's push); per item, the new visit or the
    :class:`ApiError` that refused it.

    The rules of :func:`create_visit`, checked for every item before anything is
    written, so a refused item leaves no trace. The writes are batched: one INSERT
    per table, one counter bump per village, the month's tasks found by one query.
    Items are taken in order, as one by one: of two with the same id the first wins.
    """
    people = scope.references(Beneficiary, [v.get("beneficiary_id") for v in items], actor)
    taken = taken_ids(Visit, [v.get("id") for v in items])
    titles = titles_of([policy["id"] for v in items for policy in v.get("policies_explained") or ()])
    outcomes, visits = [], []
    for values in items:
        try:
            visit = _new_visit(values, actor, people.get(values.get("beneficiary_id")), taken,
                               titles)
        except ApiError as error:
            outcomes.append(error)
            continue
        taken.add(visit.id)
        outcomes.append(visit)
        visits.append(visit)
    create_records(visits, actor)
    for visit in visits:
        if visit.photo_ids:
            link_photos(visit, actor, new=True)
    settle_new_monthly_visits(visits, actor)
    tasks.settle_new_visits(visits, actor)
    return outcomes


def update_visit(visit, changes, actor):
    """Apply ``changes``; returns the names of the fields that changed."""
    _require_editor(visit, actor)
    _require_unlocked(visit)
    if changes.get("beneficiary_id", visit.beneficiary_id) != visit.beneficiary_id:
        raise ValidationFailed({"beneficiary_id": ["不能更改记录所属的优抚对象"]})
    changes = {
        name: changes[name] for name in VISIT_FIELDS if name in changes and name != "beneficiary_id"
    }
    if "photo_ids" in changes:
        changes["photo_ids"] = _photo_ids(changes["photo_ids"])
    if "policies_explained" in changes:
        changes["policies_explained"] = explained(changes["policies_explained"])
    if changes.get("services", ()) is None:
        changes["services"] = []
    merged = {**current_values(visit), **changes}
    errors = visit_rule_errors(merged)
    if errors:
        raise ValidationFailed(errors)
    if "details" in changes or "visit_type" in changes:
        changes["details"] = clean_details(merged["visit_type"], merged["details"])
    if "case_id" in changes:
        _check_case(changes["case_id"], visit.beneficiary_id)
    if visit.review_status == "returned" and any(
        getattr(visit, name) != value for name, value in changes.items()
    ):
        changes["review_status"] = "pending"
    changed = update_record(visit, changes, actor)
    if "photo_ids" in changed:
        link_photos(visit, actor)
    if {"visit_type", "visited_on", "follow_up_due"} & set(changed):
        _settle_tasks(visit, actor)
    return changed


def delete_visit(visit, actor):
    _require_editor(visit, actor)
    _require_unlocked(visit)
    delete_record(visit, actor)
    _settle_tasks(visit, actor)


def review_visit(visit, decision, comment, actor):
    """Approve or return a visit; returns the names of the fields that changed."""
    scope.require_staff(actor)
    scope.require(visit, actor)
    _require_unlocked(visit)
    comment = (comment or "").strip() or None
    if decision == "return" and comment is None:
        raise ValidationFailed({"comment": ["退回时须填写意见"]})
    values = {
        "review_status": REVIEW_OUTCOMES[decision],
        "review_comment": comment,
        "reviewed_by_id": actor.id,
        "reviewed_at": utcnow(),
    }
    changed = update_record(visit, values, actor, action="review")
    if decision == "return" and {"review_status", "review_comment"} & set(changed):
        _tell_returned(visit, comment, actor)  # not again for the same return
    return changed


def _tell_returned(visit, comment, actor):
    """The liaison who recorded a returned visit is told, in the app (their phone's 通知)
    and through any other configured sender."""
    liaison = db.session.get(User, visit.liaison_id)
    if liaison is None or not liaison.active or liaison.id == actor.id:
        return
    name = db.session.scalar(select(Beneficiary.name).where(Beneficiary.id == visit.beneficiary_id))
    deliver([liaison], Message("visit_returned", "走访记录被退回",
                               f"{name}（{visit.visited_on.month}月{visit.visited_on.day}日）的走访记录被退回：{comment}",
                               f"#/visit/{visit.id}"))


# --- tasks (rules in tasks.py) ---------------------------------------------------------


def _settle_tasks(visit, actor, *, new=False):
    """A written visit may do a task, undo one, or ask for a follow-up.

    ``new``: the visit was just created, so no task names it yet (visit_task's
    source_visit_id and done_visit_id are foreign keys to visit, and a new visit's
    id named no row before): the lookups by those columns are skipped.
    """
    settle_monthly_tasks(visit, actor, new=new)
    tasks.settle_tasks(visit, actor, new=new)


def _period_of(visit):
    if visit.visit_type != "monthly" or visit.deleted_at is not None:
        return None
    return visit.visited_on.strftime("%Y-%m")


def _other_monthly_visit(task, visit):
    first, following = month_bounds(task.period)
    return db.session.scalar(
        select(Visit.id).where(
            Visit.beneficiary_id == task.beneficiary_id,
            Visit.visit_type == "monthly",
            Visit.visited_on >= first,
            Visit.visited_on < following,
            Visit.deleted_at.is_(None),
            Visit.id != visit.id,
        ).order_by(Visit.visited_on, Visit.id).limit(1)
    )


def settle_monthly_tasks(visit, actor, *, new=False):
    """Keep monthly tasks in step with ``visit``.

    A monthly visit closes its person's monthly task of that month (YYYY-MM of
    ``visited_on``), if the scheduler made one. A task this visit had closed is
    handed to another monthly visit of that month, or reopened as ``due`` (the
    scheduler turns it overdue again), when the visit is deleted, moves to
    another month or stops being a monthly visit.
    """
    period = _period_of(visit)
    closed = [] if new else db.session.scalars(
        select(VisitTask).where(
            VisitTask.done_visit_id == visit.id,
            VisitTask.kind == "monthly",  # follow-ups have their own rule (tasks.py)
            VisitTask.deleted_at.is_(None),
        )
    ).all()
    for task in closed:
        if task.period != period:
            other = _other_monthly_visit(task, visit)
            update_record(
                task, {"status": "done" if other else "due", "done_visit_id": other}, actor
            )
    if period is None:
        return
    task = db.session.scalar(
        select(VisitTask).where(
            VisitTask.beneficiary_id == visit.beneficiary_id,
            VisitTask.kind == "monthly",
            VisitTask.period == period,
            VisitTask.status != "done",
            VisitTask.deleted_at.is_(None),
        ).order_by(VisitTask.due_on, VisitTask.id).limit(1)
    )
    if task is not None:
        update_record(task, {"status": "done", "done_visit_id": visit.id}, actor)


def settle_new_monthly_visits(visits, actor):
    """:func:`settle_monthly_tasks` for many new visits, in their order: one query finds
    the open tasks they close, one batch closes them."""
    wanted = [(visit, _period_of(visit)) for visit in visits if _period_of(visit)]
    if not wanted:
        return
    rows = db.session.scalars(
        select(VisitTask).where(
            VisitTask.beneficiary_id.in_({visit.beneficiary_id for visit, _ in wanted}),
            VisitTask.kind == "monthly",
            VisitTask.period.in_({period for _, period in wanted}),
            VisitTask.status != "done",
            VisitTask.deleted_at.is_(None),
        ).order_by(VisitTask.due_on, VisitTask.id)
    )
    open_tasks = {}
    for task in rows:
        open_tasks.setdefault((task.beneficiary_id, task.period), []).append(task)
    closing = []
    for visit, period in wanted:
        queue = open_tasks.get((visit.beneficiary_id, period))
        if queue:
            closing.append((queue.pop(0), {"status": "done", "done_visit_id": visit.id}))
    update_records(closing, actor)


# --- lists -----------------------------------------------------------------------------


def _in_township(model, township_id):
    return model.village_id.in_(select(Region.id).where(Region.parent_id == township_id))


def list_statement(filters, actor):
    statement = scope.visible(select(Visit), Visit, actor)
    for name in ("village_id", "beneficiary_id", "liaison_id", "visit_type", "review_status"):
        if name in filters:
            statement = statement.where(getattr(Visit, name) == filters[name])
    if "township_id" in filters:
        statement = statement.where(_in_township(Visit, filters["township_id"]))
    if "month" in filters:
        first, following = month_bounds(filters["month"])
        statement = statement.where(Visit.visited_on >= first, Visit.visited_on < following)
    return statement.order_by(Visit.visited_on.desc(), Visit.created_at.desc(), Visit.id)


def list_tasks_statement(filters, actor):
    statement = scope.visible(select(VisitTask), VisitTask, actor)
    for name in ("village_id", "period", "status", "kind"):
        if name in filters:
            statement = statement.where(getattr(VisitTask, name) == filters[name])
    if "township_id" in filters:
        statement = statement.where(_in_township(VisitTask, filters["township_id"]))
    return statement.order_by(VisitTask.due_on, VisitTask.village_id, VisitTask.id)
