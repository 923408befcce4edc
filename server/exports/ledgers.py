"""The four ledgers staff print: which rows (SQL that streams) and which columns.

Each ledger is a select of plain columns — no ORM objects — ordered the way the
county files them (township, village, date), narrowed to what the user may see
and to the filters asked for. Columns carry a Chinese header, a width and how to
read the value from a row. ID numbers come masked from ``id_number_masked``, or, when
the user asked for full numbers, as ciphertexts opened one by one through the export's
audited reveal (server/beneficiaries/identity.py).
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, literal, select, true
from sqlalchemy.orm import aliased

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.choices import (
    BENEFICIARY_CATEGORIES,
    HEALTH_EVENT_KINDS,
    MEDIATION_KINDS,
    MEDIATION_STATUS,
    REVIEW_STATUS,
    TASK_STATUS,
    VISIT_TYPES,
)
from ..common.timeutil import county_today, county_zone, month_bounds
from ..contacts.models import ContactCard, ContactLog
from ..health.models import HealthEvent
from ..mediation.models import MediationCase, MediationSession
from ..regions.models import Region
from ..users.models import User
from ..visits import coverage
from ..visits.models import Visit

Village = aliased(Region, name="village")
Township = aliased(Region, name="township")
Liaison = aliased(User, name="liaison")
Reviewer = aliased(User, name="reviewer")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    value: object  # row, reveal (full ID numbers, or None) -> cell value
    kind: str = "text"  # text, date, datetime, number, money


@dataclass(frozen=True)
class Ledger:
    kind: str
    title: str
    columns: tuple
    build: object  # (filters, actor, full_ids) -> select
    filters: tuple  # the filter names it honours besides the area

    def statement(self, filters, actor, full_ids):
        return self.build(filters, actor, full_ids)


def _label(choices, code):
    return choices.get(code, code) if code else None


def _local(value):
    """An aware UTC instant -> the county's wall-clock time, which Excel can hold."""
    return value.astimezone(county_zone()).replace(tzinfo=None) if value else None


def id_number(row, reveal):
    return row.id_number if reveal is None else reveal.open(row.id_number)


def _id_column(full_ids):
    column = Beneficiary.id_number_encrypted if full_ids else Beneficiary.id_number_masked
    return column.label("id_number")


def _area(statement, model, filters, actor):
    statement = scope.visible(statement, model, actor)
    if filters.get("township_id"):
        statement = statement.where(Village.parent_id == filters["township_id"])
    if filters.get("village_id"):
        statement = statement.where(model.village_id == filters["village_id"])
    return statement


def _in_month(statement, column, filters):
    if filters.get("month"):
        first, following = month_bounds(filters["month"])
        statement = statement.where(column >= first, column < following)
    return statement


def _places(statement, model):
    return (statement.join(Village, Village.id == model.village_id)
            .join(Township, Township.id == Village.parent_id))


PLACE = (
    Column("乡镇", 12, lambda r, f: r.township),
    Column("村（居）", 14, lambda r, f: r.village),
)


# --- visits ------------------------------------------------------------------------------


def _location(location):
    if not location or location.get("lat") is None:
        return None
    return f"{location['lat']:.6f},{location['lng']:.6f}"


def visit_rows(filters, actor, full_ids):
    statement = select(
        Township.name.label("township"), Village.name.label("village"),
        Beneficiary.name.label("name"), _id_column(full_ids), Beneficiary.category,
        Visit.visit_type, Visit.visited_on, Visit.summary, Visit.needs, Visit.actions,
        Visit.follow_up_due, Liaison.display_name.label("liaison"), Visit.review_status,
        Visit.review_comment, Reviewer.display_name.label("reviewer"), Visit.reviewed_at,
        Visit.photo_ids, Visit.location,
    ).select_from(Visit).join(Beneficiary, Beneficiary.id == Visit.beneficiary_id)
    statement = _places(statement, Visit).join(Liaison, Liaison.id == Visit.liaison_id)
    statement = statement.outerjoin(Reviewer, Reviewer.id == Visit.reviewed_by_id)
    statement = _in_month(_area(statement, Visit, filters, actor), Visit.visited_on, filters)
    for name in ("visit_type", "review_status"):
        if filters.get(name):
            statement = statement.where(getattr(Visit, name) == filters[name])
    return statement.order_by(Township.code, Village.code, Visit.visited_on, Beneficiary.name,
                              Visit.id)


VISITS = Ledger("visits", "走访台账", (
    *PLACE,
    Column("姓名", 9, lambda r, f: r.name),
    Column("身份证号", 21, id_number),
    Column("优抚类别", 14, lambda r, f: _label(BENEFICIARY_CATEGORIES, r.category)),
    Column("走访类型", 13, lambda r, f: _label(VISIT_TYPES, r.visit_type)),
    Column("走访日期", 11, lambda r, f: r.visited_on, "date"),
    Column("走访情况", 40, lambda r, f: r.summary),
    Column("诉求", 24, lambda r, f: r.needs),
    Column("采取的措施", 24, lambda r, f: r.actions),
    Column("跟进日期", 11, lambda r, f: r.follow_up_due, "date"),
    Column("联络员", 9, lambda r, f: r.liaison),
    Column("审核状态", 9, lambda r, f: _label(REVIEW_STATUS, r.review_status)),
    Column("审核意见", 20, lambda r, f: r.review_comment),
    Column("审核人", 9, lambda r, f: r.reviewer),
    Column("审核时间", 17, lambda r, f: _local(r.reviewed_at), "datetime"),
    Column("照片（张）", 9, lambda r, f: len(r.photo_ids or []), "number"),
    Column("位置（纬度,经度）", 22, lambda r, f: _location(r.location)),
), visit_rows, ("month", "visit_type", "review_status"))


# --- health events -----------------------------------------------------------------------


def _yuan(fen):
    return None if fen is None else Decimal(fen) / 100


def health_rows(filters, actor, full_ids):
    statement = select(
        Township.name.label("township"), Village.name.label("village"),
        Beneficiary.name.label("name"), _id_column(full_ids), HealthEvent.kind,
        HealthEvent.occurred_on, HealthEvent.description, HealthEvent.hospital,
        HealthEvent.aid_amount_fen, HealthEvent.created_at,
    ).select_from(HealthEvent).join(Beneficiary, Beneficiary.id == HealthEvent.beneficiary_id)
    statement = _in_month(_area(_places(statement, HealthEvent), HealthEvent, filters, actor),
                          HealthEvent.occurred_on, filters)
    if filters.get("kind"):
        statement = statement.where(HealthEvent.kind == filters["kind"])
    return statement.order_by(Township.code, Village.code, HealthEvent.occurred_on,
                              Beneficiary.name, HealthEvent.id)


HEALTH_EVENTS = Ledger("health_events", "健康事件台账", (
    *PLACE,
    Column("姓名", 9, lambda r, f: r.name),
    Column("身份证号", 21, id_number),
    Column("事件类型", 10, lambda r, f: _label(HEALTH_EVENT_KINDS, r.kind)),
    Column("发生日期", 11, lambda r, f: r.occurred_on, "date"),
    Column("情况说明", 40, lambda r, f: r.description),
    Column("医院", 18, lambda r, f: r.hospital),
    Column("救助金额（元）", 13, lambda r, f: _yuan(r.aid_amount_fen), "money"),
    Column("记录时间", 17, lambda r, f: _local(r.created_at), "datetime"),
), health_rows, ("month", "kind"))


# --- mediation cases ---------------------------------------------------------------------


def mediation_rows(filters, actor, full_ids):
    sessions = (
        select(MediationSession.case_id, func.count().label("sessions"),
               func.max(MediationSession.held_on).label("last_session"))
        .where(MediationSession.deleted_at.is_(None))
        .group_by(MediationSession.case_id)
        .subquery()
    )
    statement = select(
        Township.name.label("township"), Village.name.label("village"),
        Beneficiary.name.label("name"), _id_column(full_ids), MediationCase.kind,
        MediationCase.parties, MediationCase.description, MediationCase.opened_on,
        func.coalesce(sessions.c.sessions, 0).label("sessions"), sessions.c.last_session,
        MediationCase.status, MediationCase.outcome, MediationCase.referred_to,
        MediationCase.closed_on,
    ).select_from(MediationCase).join(Beneficiary, Beneficiary.id == MediationCase.beneficiary_id)
    statement = _places(statement, MediationCase).outerjoin(
        sessions, sessions.c.case_id == MediationCase.id)
    statement = _in_month(_area(statement, MediationCase, filters, actor),
                          MediationCase.opened_on, filters)
    for name in ("status", "kind"):
        if filters.get(name):
            statement = statement.where(getattr(MediationCase, name) == filters[name])
    return statement.order_by(Township.code, Village.code, MediationCase.opened_on,
                              MediationCase.id)


MEDIATION_CASES = Ledger("mediation_cases", "纠纷调解台账", (
    *PLACE,
    Column("优抚对象", 9, lambda r, f: r.name),
    Column("身份证号", 21, id_number),
    Column("纠纷类型", 9, lambda r, f: _label(MEDIATION_KINDS, r.kind)),
    Column("当事人", 20, lambda r, f: r.parties),
    Column("纠纷情况", 36, lambda r, f: r.description),
    Column("受理日期", 11, lambda r, f: r.opened_on, "date"),
    Column("调解次数", 9, lambda r, f: r.sessions, "number"),
    Column("最近调解日期", 12, lambda r, f: r.last_session, "date"),
    Column("状态", 8, lambda r, f: _label(MEDIATION_STATUS, r.status)),
    Column("调解结果", 30, lambda r, f: r.outcome),
    Column("移交单位", 14, lambda r, f: r.referred_to),
    Column("结案日期", 11, lambda r, f: r.closed_on, "date"),
), mediation_rows, ("month", "status", "kind"))


# --- the migrants' contact register (连心卡) ---------------------------------------------


def contact_rows(filters, actor, full_ids):
    logs = (
        select(ContactLog.card_id, func.count().label("contacts"))
        .where(ContactLog.deleted_at.is_(None))
        .group_by(ContactLog.card_id)
        .subquery()
    )
    statement = select(
        Township.name.label("township"), Village.name.label("village"),
        Beneficiary.name.label("name"), _id_column(full_ids), ContactCard.card_number,
        ContactCard.issued_on, ContactCard.work_province, ContactCard.work_city,
        ContactCard.employer, ContactCard.phone, ContactCard.emergency_contact,
        ContactCard.last_contact_on, func.coalesce(logs.c.contacts, 0).label("contacts"),
    ).select_from(ContactCard).join(Beneficiary, Beneficiary.id == ContactCard.beneficiary_id)
    statement = _places(statement, ContactCard).outerjoin(logs, logs.c.card_id == ContactCard.id)
    statement = _area(statement, ContactCard, filters, actor)
    return statement.order_by(Township.code, Village.code, ContactCard.card_number)


CONTACTS = Ledger("contacts", "连心卡联系台账", (
    *PLACE,
    Column("姓名", 9, lambda r, f: r.name),
    Column("身份证号", 21, id_number),
    Column("连心卡号", 16, lambda r, f: r.card_number),
    Column("发卡日期", 11, lambda r, f: r.issued_on, "date"),
    Column("务工省份", 9, lambda r, f: r.work_province),
    Column("务工城市", 9, lambda r, f: r.work_city),
    Column("工作单位", 22, lambda r, f: r.employer),
    Column("本人电话", 14, lambda r, f: r.phone),
    Column("紧急联系人", 20, lambda r, f: r.emergency_contact),
    Column("最近联系日期", 12, lambda r, f: r.last_contact_on, "date"),
    Column("联系次数", 9, lambda r, f: r.contacts, "number"),
), contact_rows, ())


# --- the people not visited in a month (the dashboard's 未访 list) --------------------------


def not_visited_rows(filters, actor, full_ids):
    month = filters.get("month") or county_today().strftime("%Y-%m")
    due = coverage.due_people(month, lambda _column: true(),
                              coverage.basis_of(month)).distinct().subquery()
    visited = coverage.visited_people(month).subquery()
    task = coverage.month_tasks(month)
    statement = select(
        Township.name.label("township"), Village.name.label("village"),
        Beneficiary.name.label("name"), _id_column(full_ids), Beneficiary.category,
        Beneficiary.phone, Beneficiary.address, task.c.due_on, literal(month).label("month"),
    ).select_from(Beneficiary).join(due, due.c.person_id == Beneficiary.id)
    statement = _places(statement, Beneficiary).outerjoin(
        visited, visited.c.beneficiary_id == Beneficiary.id).outerjoin(
        task, task.c.beneficiary_id == Beneficiary.id)
    statement = _area(statement.where(visited.c.beneficiary_id.is_(None)), Beneficiary,
                      filters, actor)
    return statement.order_by(Township.code, Village.code, Beneficiary.name,
                                         Beneficiary.id)


def _lateness(row):
    return coverage.lateness(row.month, row.due_on, county_today())


NOT_VISITED = Ledger("not_visited", "未访人员名单", (
    *PLACE,
    Column("姓名", 9, lambda r, f: r.name),
    Column("身份证号", 21, id_number),
    Column("优抚类别", 14, lambda r, f: _label(BENEFICIARY_CATEGORIES, r.category)),
    Column("联系电话", 14, lambda r, f: r.phone),
    Column("住址", 24, lambda r, f: r.address),
    Column("任务状态", 9, lambda r, f: _label(TASK_STATUS, _lateness(r)[0])),
    Column("逾期天数", 9, lambda r, f: _lateness(r)[1], "number"),
), not_visited_rows, ("month",))


LEDGERS = {ledger.kind: ledger for ledger in (VISITS, HEALTH_EVENTS, MEDIATION_CASES, CONTACTS,
                                              NOT_VISITED)}
