"""The dashboard of one month: everything is counted by the database (GROUP BY village)
and only the per-village counts — at most one row per village and kind — come to
Python, where they are summed up to townships. Nothing is loaded per person, except
the list of people not visited of one village.

应访 (due): active people with a monthly visit task of the month. Months from before
the scheduler made tasks have none; their 应访 is the active people registered
before the month ended (``basis: "people"``). 已访 (done): of those, the people with a
live monthly visit dated in the month. 完成率 = 已访 ÷ 应访.

意见: per village, the opinions its liaison collected in the month (``collected_on``);
for the area, the feedback received in the month by source (migrants' forms, liaisons'
opinions): received, answered, reply rate (answered ÷ received) and mean hours from
receipt to the first reply (server/feedback/operations.py ``stats_by_source``).
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, distinct, func, or_, select, true

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import county_today, month_bounds, visit_day_for
from ..extensions import db
from ..feedback import operations as feedback
from ..feedback.models import Opinion
from ..mediation.models import MediationCase
from ..policies.models import OutreachMeeting
from ..regions.models import Region
from ..sync import conflicts, devices
from ..visits.coverage import (
    basis_of,
    due_people,
    lateness,
    month_tasks,
    visited_people,
)
from ..visits.models import Visit, VisitTask

OPEN_CASE = ("open", "mediating")
FOLLOW_UP_KINDS = ("follow_up", "revisit")
CARE_TYPES = ("sick", "hardship")
AGE_BUCKETS = ((7, "0-7"), (30, "8-30"), (90, "31-90"))
OLDEST_BUCKET = "90+"
CARE_LIST_LIMIT = 50
NOT_VISITED_LIMIT = 2000
COUNTERS = ("due", "done", "overdue_monthly", "overdue_follow_ups", "open_cases", "sick",
            "hardship",
            # 政策宣传 and 便民服务 (issue #19): visits that explained a policy, policies
            # explained (on visits and at meetings), village meetings and who came to
            # them, services done on visits
            "policy_visits", "policies_explained", "meetings", "meeting_headcount", "services",
            # opinions the liaisons collected (issue #19)
            "opinions")


# --- the area asked for ------------------------------------------------------------------


class Area:
    """The villages a dashboard covers and how its rows are grouped."""

    def __init__(self, actor, township_id=None, village_id=None):
        self.township = self.village = None
        if village_id:
            self.village = scope.require_village(village_id, actor)
            self.township = self.village.parent
            self.level = "village"
        elif township_id:
            self.township = scope.require_township(township_id, actor)
            self.level = "township"
        else:
            self.level = "county"
        statement = select(Region).where(Region.level == "village", Region.deleted_at.is_(None))
        allowed = scope.village_ids(actor)
        if allowed is not None:
            statement = statement.where(Region.id.in_(allowed))
        if self.village is not None:
            statement = statement.where(Region.id == self.village.id)
        elif self.township is not None:
            statement = statement.where(Region.parent_id == self.township.id)
        self.villages = db.session.scalars(statement.order_by(Region.code)).all()
        self.village_ids = [village.id for village in self.villages]
        # Narrowing by id list only when it is short: the whole county needs no filter.
        self.everywhere = allowed is None and self.level == "county"

    def where(self, column):
        return true() if self.everywhere else column.in_(self.village_ids)

    def row_key(self, village):
        """What a village's counts are summed into: its township, or itself."""
        return village.parent_id if self.level == "county" else village.id

    def rows(self):
        """(key, name, code) of each row, in order."""
        if self.level != "county":
            return [(v.id, v.name, v.code) for v in self.villages]
        townships = {}
        for village in self.villages:
            parent = village.parent
            townships.setdefault(parent.id, (parent.id, parent.name, parent.code))
        return sorted(townships.values(), key=lambda row: row[2])

    def describe(self):
        def ref(region):
            return None if region is None else {"id": region.id, "name": region.name}

        return {"level": self.level, "township": ref(self.township), "village": ref(self.village)}


# --- counts ------------------------------------------------------------------------------


def completion_by_village(month, area, basis):
    due = due_people(month, area.where, basis).subquery()
    visited = visited_people(month).subquery()
    statement = (
        select(due.c.village_id, func.count(distinct(due.c.person_id)),
               func.count(distinct(visited.c.beneficiary_id)))
        .select_from(due)
        .outerjoin(visited, visited.c.beneficiary_id == due.c.person_id)
        .group_by(due.c.village_id)
    )
    return {village: (total, done) for village, total, done in db.session.execute(statement)}


def tasks_by_village(month, area):
    """{village: {(kind, status): n}}: the month's tasks, and follow-ups still overdue
    from earlier months."""
    statement = (
        select(VisitTask.village_id, VisitTask.kind, VisitTask.status, func.count())
        .where(
            VisitTask.deleted_at.is_(None), area.where(VisitTask.village_id),
            or_(VisitTask.period == month, and_(
                VisitTask.period < month, VisitTask.kind.in_(FOLLOW_UP_KINDS),
                VisitTask.status == "overdue",
            )),
        )
        .group_by(VisitTask.village_id, VisitTask.kind, VisitTask.status)
    )
    counts = {}
    for village, kind, status, number in db.session.execute(statement):
        bucket = counts.setdefault(village, {})
        bucket[(kind, status)] = bucket.get((kind, status), 0) + number
    return counts


def tasks_of_month(month, area):
    """{kind: {status: n}} of the tasks due in ``month``."""
    statement = (
        select(VisitTask.kind, VisitTask.status, func.count())
        .where(VisitTask.deleted_at.is_(None), VisitTask.period == month,
               area.where(VisitTask.village_id))
        .group_by(VisitTask.kind, VisitTask.status)
    )
    summary = {}
    for kind, status, number in db.session.execute(statement):
        summary.setdefault(kind, {"due": 0, "done": 0, "overdue": 0})[status] = number
    return summary


def case_age(as_of):
    """The age bucket of a case opened on ``MediationCase.opened_on``, as a SQL CASE."""
    return case(
        *[(MediationCase.opened_on >= as_of - timedelta(days=days), label)
          for days, label in AGE_BUCKETS],
        else_=OLDEST_BUCKET,
    )


def open_cases(month, area):
    """[(village, status, age bucket, n)] of the cases open now that were opened by the
    end of ``month``; age counted to the month's last day (or today, if sooner)."""
    _first, following = month_bounds(month)
    as_of = min(county_today(), following - timedelta(days=1))
    age = case_age(as_of).label("age")
    statement = (
        select(MediationCase.village_id, MediationCase.status, age, func.count())
        .where(MediationCase.deleted_at.is_(None), MediationCase.status.in_(OPEN_CASE),
               MediationCase.opened_on < following, area.where(MediationCase.village_id))
        .group_by(MediationCase.village_id, MediationCase.status, age)
    )
    return db.session.execute(statement).all()


def care_visits_by_village(month, area):
    first, following = month_bounds(month)
    statement = (
        select(Visit.village_id, Visit.visit_type, func.count())
        .where(Visit.deleted_at.is_(None), Visit.visit_type.in_(CARE_TYPES),
               Visit.visited_on >= first, Visit.visited_on < following,
               area.where(Visit.village_id))
        .group_by(Visit.village_id, Visit.visit_type)
    )
    return db.session.execute(statement).all()


def outreach_by_village(month, area):
    """{village id: {counter: n}} of policy outreach and services in ``month``, and the
    month's services by kind: counted by the database, except the kinds of the visits
    that recorded any (a list per such visit)."""
    first, following = month_bounds(month)
    per_village = {}

    def add(village, **counts):
        row = per_village.setdefault(village, {})
        for name, number in counts.items():
            row[name] = row.get(name, 0) + int(number or 0)

    in_month = (Visit.deleted_at.is_(None), Visit.visited_on >= first,
                Visit.visited_on < following, area.where(Visit.village_id))
    explained = func.json_array_length(Visit.policies_explained)
    for village, visits, policies in db.session.execute(
            select(Visit.village_id, func.count(), func.sum(explained))
            .where(*in_month, explained > 0).group_by(Visit.village_id)):
        add(village, policy_visits=visits, policies_explained=policies)
    told = func.json_array_length(OutreachMeeting.policies_explained)
    for village, meetings, policies, people in db.session.execute(
            select(OutreachMeeting.village_id, func.count(), func.sum(told),
                   func.sum(OutreachMeeting.headcount))
            .where(OutreachMeeting.deleted_at.is_(None), OutreachMeeting.held_on >= first,
                   OutreachMeeting.held_on < following, area.where(OutreachMeeting.village_id))
            .group_by(OutreachMeeting.village_id)):
        add(village, meetings=meetings, policies_explained=policies, meeting_headcount=people)
    by_kind = {}
    for village, services in db.session.execute(
            select(Visit.village_id, Visit.services)
            .where(*in_month, func.json_array_length(Visit.services) > 0)):
        add(village, services=len(services))
        for code in services:
            by_kind[code] = by_kind.get(code, 0) + 1
    return per_village, by_kind


def opinions_by_village(month, area):
    first, following = month_bounds(month)
    statement = (
        select(Opinion.village_id, func.count())
        .where(Opinion.deleted_at.is_(None), Opinion.collected_on >= first,
               Opinion.collected_on < following, area.where(Opinion.village_id))
        .group_by(Opinion.village_id)
    )
    return db.session.execute(statement).all()


def care_visit_list(month, area):
    first, following = month_bounds(month)
    village = Region
    statement = (
        select(Visit.id, Visit.visit_type, Visit.visited_on, Visit.summary, Visit.needs,
               Visit.review_status, Beneficiary.name, village.name.label("village_name"))
        .join(Beneficiary, Beneficiary.id == Visit.beneficiary_id)
        .join(village, village.id == Visit.village_id)
        .where(Visit.deleted_at.is_(None), Visit.visit_type.in_(CARE_TYPES),
               Visit.visited_on >= first, Visit.visited_on < following,
               area.where(Visit.village_id))
        .order_by(Visit.visited_on.desc(), Visit.id)
        .limit(CARE_LIST_LIMIT)
    )
    return [
        {"id": row.id, "visit_type": row.visit_type, "visited_on": row.visited_on,
         "summary": row.summary, "needs": row.needs, "review_status": row.review_status,
         "beneficiary_name": row.name, "village_name": row.village_name}
        for row in db.session.execute(statement)
    ]


def not_visited(month, area, basis):
    """The people of one village due a visit in ``month`` who had none."""
    due = due_people(month, area.where, basis).subquery()
    visited = visited_people(month).subquery()
    task = month_tasks(month)
    statement = (
        select(Beneficiary.id, Beneficiary.name, Beneficiary.id_number_masked, Beneficiary.phone,
               Beneficiary.address, Beneficiary.category, Beneficiary.is_migrant,
               task.c.due_on)
        .join(due, due.c.person_id == Beneficiary.id)
        .outerjoin(visited, visited.c.beneficiary_id == Beneficiary.id)
        .outerjoin(task, task.c.beneficiary_id == Beneficiary.id)
        .where(visited.c.beneficiary_id.is_(None))
        .order_by(Beneficiary.name, Beneficiary.id)
        .limit(NOT_VISITED_LIMIT)
    )
    seen, people, today = set(), [], county_today()
    for row in db.session.execute(statement):
        if row.id in seen:
            continue
        seen.add(row.id)
        status, days = lateness(month, row.due_on, today)
        people.append({
            "id": row.id, "name": row.name, "id_number": row.id_number_masked,
            "phone": row.phone, "address": row.address, "category": row.category,
            "is_migrant": row.is_migrant, "task_status": status, "overdue_days": days,
        })
    return people


# --- the dashboard ---------------------------------------------------------------------


def _rate(done, due):
    return round(done / due, 4) if due else None


def village_counts(month, area, basis):
    """({village id: counters}, open cases by status, open cases by age) of ``area``."""
    per_village = {village.id: dict.fromkeys(COUNTERS, 0) for village in area.villages}
    for village, (due, done) in completion_by_village(month, area, basis).items():
        if village in per_village:
            per_village[village].update(due=due, done=done)
    for village, counts in tasks_by_village(month, area).items():
        if village in per_village:
            per_village[village]["overdue_monthly"] = counts.get(("monthly", "overdue"), 0)
            per_village[village]["overdue_follow_ups"] = sum(
                counts.get((kind, "overdue"), 0) for kind in FOLLOW_UP_KINDS)
    by_status = dict.fromkeys(OPEN_CASE, 0)
    by_age = {label: 0 for _days, label in AGE_BUCKETS} | {OLDEST_BUCKET: 0}
    for village, status, age, number in open_cases(month, area):
        if village in per_village:
            per_village[village]["open_cases"] += number
            by_status[status] += number
            by_age[age] += number
    for village, visit_type, number in care_visits_by_village(month, area):
        if village in per_village:
            per_village[village][visit_type] += number
    for village, number in opinions_by_village(month, area):
        if village in per_village:
            per_village[village]["opinions"] += number
    outreach, services = outreach_by_village(month, area)
    for village, counts in outreach.items():
        if village in per_village:
            for counter, number in counts.items():
                per_village[village][counter] += number
    return per_village, by_status, by_age, services


def add_rates(rows):
    """Each row's 完成率, and the totals of ``rows``."""
    totals = dict.fromkeys(COUNTERS, 0)
    for row in rows:
        row["rate"] = _rate(row["done"], row["due"])
        for counter in COUNTERS:
            totals[counter] += row[counter]
    totals["rate"] = _rate(totals["done"], totals["due"])
    return totals


def _services_by_kind(counts):
    listed = current_app.config["LIANXIN_SERVICES"]
    rows = [{"code": s["code"], "label": s["label"], "count": counts.get(s["code"], 0)}
            for s in listed]
    known = {s["code"] for s in listed}
    rows += [{"code": code, "label": code, "count": number}
             for code, number in sorted(counts.items()) if code not in known]
    return rows


def dashboard(filters, actor):
    scope.require_staff(actor)
    month = filters.get("month") or county_today().strftime("%Y-%m")
    area = Area(actor, filters.get("township_id"), filters.get("village_id"))
    basis = basis_of(month)
    per_village, by_status, by_age, services = village_counts(month, area, basis)

    rows = {key: {"id": key, "name": name, "code": code, **dict.fromkeys(COUNTERS, 0)}
            for key, name, code in area.rows()}
    for village in area.villages:
        row = rows[area.row_key(village)]
        for counter, value in per_village[village.id].items():
            row[counter] += value
    totals = add_rates(list(rows.values()))

    year, mon = (int(part) for part in month.split("-"))
    visit_day = visit_day_for(year, mon)
    return {
        "month": month,
        "basis": basis,
        "visit_day": visit_day,
        # before the visit day a low 完成率 is work in progress, not a delay
        "visit_day_passed": county_today() > visit_day,
        # what the top of the dashboard is called: 全县, or the officer's township
        "scope": {"name": actor.region.name, "level": actor.region.level,
                  "id": actor.region.id},
        **area.describe(),
        "totals": totals,
        "rows": list(rows.values()),
        "tasks": tasks_of_month(month, area),
        "mediation": {"by_status": by_status, "by_age": by_age},
        "care_visits": care_visit_list(month, area),
        # 便民服务 of the month by kind, in the county's order (LIANXIN_SERVICES); a kind
        # no longer on the list but recorded still shows, by its code
        "services": _services_by_kind(services),
        "feedback_by_source": feedback.stats_by_source({
            "month": month, "township_id": filters.get("township_id"),
            "village_id": filters.get("village_id")}, actor),
        "not_visited": not_visited(month, area, basis) if area.level == "village" else None,
        "stale_devices": len(devices.stale_devices({"stale_days": 3, "unsent_only": True}, actor)),
        "conflicts": db.session.scalar(select(func.count()).select_from(
            conflicts.list_statement({}, actor).order_by(None).subquery())),
    }
