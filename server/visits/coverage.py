"""Who is due a monthly visit in a month, who had one, and how late the others are.

One definition for the dashboard's 应访/已访 and 未访 list (server/reports/dashboard.py)
and the 未访人员名单 ledger (server/exports/ledgers.py).

应访 (due): active people with a monthly visit task of the month. Months from before
the scheduler made tasks have none; their 应访 is the active people registered before
the month ended (``basis: "people"``). 已访 (done): of those, the people with a live
monthly visit dated in the month.
"""

from datetime import UTC, datetime, time
from types import SimpleNamespace

from sqlalchemy import and_, func, select

from ..beneficiaries.models import Beneficiary
from ..common.timeutil import county_zone, month_bounds, visit_day_for
from ..extensions import db
from .models import Visit, VisitTask
from .tasks import open_status


def month_end_utc(month):
    _first, following = month_bounds(month)
    return datetime.combine(following, time(0), tzinfo=county_zone()).astimezone(UTC)


def has_monthly_tasks(month):
    return db.session.scalar(
        select(VisitTask.id).where(
            VisitTask.kind == "monthly", VisitTask.period == month,
            VisitTask.deleted_at.is_(None),
        ).limit(1)
    ) is not None


def basis_of(month):
    return "tasks" if has_monthly_tasks(month) else "people"


def due_people(month, in_area, basis):
    """(village_id, person id) of everyone due a monthly visit in ``month``; ``in_area``
    narrows a village id column to the area asked for."""
    statement = select(Beneficiary.village_id.label("village_id"),
                       Beneficiary.id.label("person_id"))
    if basis == "tasks":
        statement = statement.join(VisitTask, and_(
            VisitTask.beneficiary_id == Beneficiary.id, VisitTask.kind == "monthly",
            VisitTask.period == month, VisitTask.deleted_at.is_(None),
        ))
    else:
        statement = statement.where(Beneficiary.created_at < month_end_utc(month))
    return statement.where(
        Beneficiary.status == "active", Beneficiary.deleted_at.is_(None),
        in_area(Beneficiary.village_id),
    )


def visited_people(month):
    first, following = month_bounds(month)
    return select(Visit.beneficiary_id).where(
        Visit.visit_type == "monthly", Visit.visited_on >= first, Visit.visited_on < following,
        Visit.deleted_at.is_(None),
    ).distinct()


def month_tasks(month):
    """The month's monthly tasks, one row per person: beneficiary and the earliest due
    date (a subquery to outer-join without doubling anyone)."""
    return select(VisitTask.beneficiary_id, func.min(VisitTask.due_on).label("due_on")).where(
        VisitTask.kind == "monthly", VisitTask.period == month, VisitTask.deleted_at.is_(None),
    ).group_by(VisitTask.beneficiary_id).subquery()


def lateness(month, due_on, today):
    """(task status, days overdue) of someone not visited in ``month``, as of ``today``:
    counted from their task's due date, or from the month's visit day when the month had
    no tasks — the same rule as the nightly task refresh (visits/tasks.open_status), so
    the list never waits for the night to say who is late."""
    if due_on is None:
        year, mon = (int(part) for part in month.split("-"))
        due_on = visit_day_for(year, mon)
    return open_status(SimpleNamespace(due_on=due_on, kind="monthly"), today)
