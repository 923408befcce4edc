"""Mediation cases and their sessions: rules shared by the REST API and sync."""

from sqlalchemy import func, select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import county_today
from ..errors import ValidationFailed
from ..extensions import db
from ..records.versioning import create_record, delete_record, require_new_id, update_record
from ..regions.models import Region
from .models import MediationCase, MediationSession
from .schemas import CLOSED_STATUSES, case_rule_errors, status_change_error

NO_BENEFICIARY = "优抚对象不存在或不在您的管辖范围内"
NO_CASE = "纠纷不存在或不在您的管辖范围内"
CASE_CLOSED = "该纠纷已调解或已移交，不能再添加调解记录"
CASE_FIELDS = ("kind", "parties", "description", "opened_on", "status", "outcome", "referred_to")


def create_case(values, actor):
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(MediationCase, record_id)
    beneficiary = scope.require_reference(
        Beneficiary, values["beneficiary_id"], actor, "beneficiary_id", NO_BENEFICIARY
    )
    values["opened_on"] = values.get("opened_on") or county_today()
    values["status"] = values.get("status") or "open"
    errors = case_rule_errors(values)
    if errors:
        raise ValidationFailed(errors)
    if values["status"] in CLOSED_STATUSES:
        values["closed_on"] = county_today()
    case = MediationCase(**values, village_id=beneficiary.village_id)
    return create_record(case, actor, record_id=record_id)


def update_case(case, changes, actor):
    """Apply ``changes``; returns the names of the fields that changed."""
    changes = dict(changes)
    merged = {**{name: getattr(case, name) for name in CASE_FIELDS}, **changes}
    problem = status_change_error(case.status, merged["status"])
    # A refused status change is the one thing to report: the rules of the status
    # asked for do not apply.
    errors = {"status": [problem]} if problem else case_rule_errors(merged)
    if "opened_on" in changes:
        first = _first_session_day(case)
        if first is not None and changes["opened_on"] > first:
            errors["opened_on"] = [f"不能晚于第一次调解的日期（{first.isoformat()}）"]
    if errors:
        raise ValidationFailed(errors)
    if merged["status"] in CLOSED_STATUSES and case.status not in CLOSED_STATUSES:
        changes["closed_on"] = county_today()
    return update_record(case, changes, actor)


def delete_case(case, actor):
    """Staff only; the case's sessions go with it, so phones drop them too."""
    scope.require_staff(actor)
    for session in db.session.scalars(_live_sessions(case)):
        delete_record(session, actor)
    delete_record(case, actor)


def create_session(values, actor):
    """A dated session of a case; the first one moves an open case to mediating."""
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(MediationSession, record_id)
    case = scope.require_reference(MediationCase, values["case_id"], actor, "case_id", NO_CASE)
    if case.status in CLOSED_STATUSES:
        raise ValidationFailed({"case_id": [CASE_CLOSED]}, detail=CASE_CLOSED)
    _check_held_on(case, values["held_on"])
    session = MediationSession(**values, village_id=case.village_id)
    create_record(session, actor, record_id=record_id)
    if case.status == "open":
        update_record(case, {"status": "mediating"}, actor)
    return session


def update_session(session, changes, actor):
    if "held_on" in changes:
        _check_held_on(db.session.get(MediationCase, session.case_id), changes["held_on"])
    return update_record(session, dict(changes), actor)


def delete_session(session, actor):
    delete_record(session, actor)


def _check_held_on(case, held_on):
    if held_on < case.opened_on:
        raise ValidationFailed(
            {"held_on": [f"不能早于纠纷受理日期（{case.opened_on.isoformat()}）"]}
        )


def _live_sessions(case):
    return select(MediationSession).where(
        MediationSession.case_id == case.id, MediationSession.deleted_at.is_(None)
    )


def _first_session_day(case):
    return db.session.scalar(
        select(func.min(MediationSession.held_on)).where(
            MediationSession.case_id == case.id, MediationSession.deleted_at.is_(None)
        )
    )


def list_statement(filters, actor):
    statement = scope.visible(select(MediationCase), MediationCase, actor)
    if "village_id" in filters:
        statement = statement.where(MediationCase.village_id == filters["village_id"])
    if "township_id" in filters:
        villages = select(Region.id).where(Region.parent_id == filters["township_id"])
        statement = statement.where(MediationCase.village_id.in_(villages))
    for name in ("beneficiary_id", "kind", "status"):
        if name in filters:
            statement = statement.where(getattr(MediationCase, name) == filters[name])
    return statement.order_by(
        MediationCase.opened_on.desc(), MediationCase.created_at.desc(), MediationCase.id
    )


def sessions_statement(case, actor):
    """The case's sessions in the order they were held."""
    statement = scope.visible(select(MediationSession), MediationSession, actor)
    return statement.where(MediationSession.case_id == case.id).order_by(
        MediationSession.held_on, MediationSession.created_at, MediationSession.id
    )
