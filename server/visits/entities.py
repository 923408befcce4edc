"""Visits and visit tasks as phones hold them (server/records/entities.py)."""

from ..common.timeutil import county_today
from ..records.entities import Entity, declare
from . import operations, tasks
from .models import Visit, VisitTask
from .schemas import VisitCreateSchema, VisitSchema, VisitTaskSchema, VisitUpdateSchema

VISIT = declare(Entity(
    "visit", Visit, VisitSchema(), VisitCreateSchema, VisitUpdateSchema,
    operations.create_visit, operations.update_visit, operations.delete_visit,
    create_many=operations.create_visits, follows=("beneficiary", "beneficiary_id"),
))


def _this_months_tasks(beneficiaries, actor):
    # Registered mid-month: this month's visit task at once, not at the next 1st.
    tasks.ensure_monthly_tasks_for(beneficiaries, county_today(), actor, new=True)


VISIT_TASK = declare(Entity(
    "visit_task", VisitTask, VisitTaskSchema(), follows=("beneficiary", "beneficiary_id"),
    made_with_parents=_this_months_tasks,
))
