"""Beneficiary rules, shared by the REST API and sync."""

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import scope
from ..common.idnumbers import IdNumber
from ..common.pinyin import name_initials
from ..common.timeutil import utcnow
from ..errors import ApiError, ValidationFailed
from ..extensions import db
from ..records.audit import audit, audit_despite_rollback
from ..records.changelog import record_change, record_left, village_scope
from ..records.entities import dependants, made_with, made_with_many
from ..records.models import AuditEntry
from ..records.versioning import (
    built,
    create_record,
    create_records,
    delete_record,
    require_new_id,
    update_record,
    update_records,
)
from ..regions.models import Region
from .identity import stored_number_errors
from .models import Beneficiary
from .schemas import beneficiary_rule_errors

TAKEN = "该身份证号已登记"
TAKEN_ACTION = "id_number_taken"
TAKEN_LIMIT_REACHED = "身份证号重复提示次数已达上限，请稍后再试或联系县民政局"


def taken_hits(actor):
    """How many times ``actor`` was told a number is registered, within the period."""
    hours = current_app.config["LIANXIN_ID_TAKEN_HOURS"]
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == TAKEN_ACTION, AuditEntry.user_id == actor.id,
        AuditEntry.at >= utcnow() - timedelta(hours=hours)))


def _check_unique_id_number(id_number, actor, except_id=None):
    """Whether a number is registered is an answer about the whole county, and one way to
    find a person's number among the 500 their birth date and sex leave: each such
    answer is audited (with the actor and the record), and a user who had
    ``LIANXIN_ID_TAKEN_LIMIT`` of them within ``LIANXIN_ID_TAKEN_HOURS`` may write no ID
    number until the period has passed - refused whether this number is registered or
    not, so the refusal tells nothing either."""
    if actor is not None and taken_hits(actor) >= current_app.config["LIANXIN_ID_TAKEN_LIMIT"]:
        raise ApiError(TAKEN_LIMIT_REACHED, status=429, code="id_number_checks_exhausted",
                       errors={"id_number": [TAKEN_LIMIT_REACHED]})
    existing = db.session.scalar(select(Beneficiary.id).where(
        Beneficiary.id_number_hash == IdNumber(id_number).lookup_hash))
    if existing is None:
        return
    trace = {"user": actor, "entity": "beneficiary", "record_id": existing,
             "changes": {"own_record": existing == except_id}}
    if existing == except_id:
        # the number it already has: no error, but the same answer (nothing changes)
        if actor is not None:
            audit(TAKEN_ACTION, **trace)
        return
    error = ValidationFailed({"id_number": [TAKEN]})
    if actor is not None:
        audit_despite_rollback(error, TAKEN_ACTION, **trace)
    raise error


def find_by_id_number(id_number):
    return db.session.scalar(
        select(Beneficiary).where(Beneficiary.id_number_hash == IdNumber(id_number).lookup_hash)
    )


def create_beneficiary(values, actor):
    values = dict(values)
    record_id = values.pop("id", None)
    scope.require_village(values["village_id"], actor)
    # a retried create names its own id: "already used", never "已登记" (which is
    # audited and counted against the user)
    require_new_id(Beneficiary, record_id)
    id_number = values.pop("id_number")
    _check_unique_id_number(id_number, actor)
    number = IdNumber(id_number)
    values.setdefault("sex", number.sex)
    if values.get("birth_date") is None:
        values["birth_date"] = number.birth_date
    values.setdefault("status", "active")
    values["name_initials"] = name_initials(values.get("name"))
    beneficiary = Beneficiary(**values, **number.stored_columns())
    create_record(beneficiary, actor, record_id=record_id)
    made_with(beneficiary, actor)  # this month's visit task (server/visits/entities.py)
    return beneficiary


def current_values(beneficiary):
    names = (
        "name", "sex", "birth_date", "phone", "village_id", "address", "category",
        "disability_grade", "is_five_elders", "status", "is_migrant", "work_city", "notes",
    )
    return {name: getattr(beneficiary, name) for name in names}


def update_beneficiary(beneficiary, changes, actor):
    changes = dict(changes)
    merged = {**current_values(beneficiary), **changes}
    errors = beneficiary_rule_errors(merged)  # against a new number, if it comes with one
    if "id_number" not in changes and ("birth_date" in changes or "sex" in changes):
        errors.update(stored_number_errors(beneficiary, merged))  # opened for no one
    if errors:
        raise ValidationFailed(errors)
    if "village_id" in changes and changes["village_id"] != beneficiary.village_id:
        scope.require_village(changes["village_id"], actor)
    id_number = changes.pop("id_number", None)
    if id_number is not None:
        _check_unique_id_number(id_number, actor, except_id=beneficiary.id)
        number = IdNumber(id_number)
        if number.lookup_hash != beneficiary.id_number_hash:
            changes.update(number.stored_columns())
    if "name" in changes:
        changes["name_initials"] = name_initials(changes["name"])
    old_village = beneficiary.village_id
    changed = update_record(beneficiary, changes, actor)
    if beneficiary.village_id != old_village:
        move_dependants(beneficiary, old_village, actor)
    return changed


def create_beneficiaries(items, actor):
    """:func:`create_beneficiary` for many new people at once (a roster import): each
    item the values a create schema loaded (its rules checked). One query checks the
    villages are the actor's, one that no number is registered; the rows, their audit
    and change-log rows are written in bulk (server/records/versioning.py
    ``create_records``), and this month's visit tasks with them. Returns the records.

    Unlike a single create, a registered number is not answered per item (an importer
    learns that from its own check, audited there): it refuses the whole batch."""
    if not items:
        return []
    scope.require_villages({values["village_id"] for values in items}, actor)
    people = []
    for values in items:
        values = dict(values)
        values.pop("id", None)
        number = IdNumber(values.pop("id_number"))
        values.setdefault("sex", number.sex)
        if values.get("birth_date") is None:
            values["birth_date"] = number.birth_date
        values.setdefault("status", "active")
        values.setdefault("is_five_elders", False)
        values.setdefault("is_migrant", False)
        values["name_initials"] = name_initials(values.get("name"))
        # built, not constructed: the ORM's attribute events were a tenth of an import
        people.append(built(Beneficiary, {"id": uuid.uuid4(), **values,
                                          **number.stored_columns()}))
    hashes = [person.id_number_hash for person in people]
    if len(set(hashes)) != len(hashes) or db.session.scalar(
            select(Beneficiary.id).where(Beneficiary.id_number_hash.in_(hashes)).limit(1)):
        raise ValidationFailed({"id_number": [TAKEN]})
    create_records(people, actor)
    made_with_many(people, actor)  # this month's visit tasks (server/visits/entities.py)
    return people


def update_beneficiaries(changes, actor):
    """:func:`update_beneficiary` for many (beneficiary, changes) pairs at once (a roster
    import): the rules checked on each merged record, the new villages the actor's (one
    query), the changes written in bulk (``update_records``); a person whose village
    changed takes their records along (:func:`move_dependants`). A change may repeat the
    person's own number (it is matched by it): only another number would be written.
    Returns the records that changed."""
    pairs = []
    for beneficiary, values in changes:
        values = dict(values)
        number = values.pop("id_number", None)
        merged = {**current_values(beneficiary), **values}
        if number is not None:
            merged["id_number"] = number
            if IdNumber(number).lookup_hash != beneficiary.id_number_hash:
                raise ValidationFailed({"id_number": ["批量修改不能更换身份证号"]})
        errors = beneficiary_rule_errors(merged)
        if errors:
            raise ValidationFailed(errors)
        if "name" in values:
            values["name_initials"] = name_initials(values["name"])
        pairs.append((beneficiary, values, beneficiary.village_id))
    scope.require_villages({values["village_id"] for _, values, old in pairs
                            if values.get("village_id", old) != old}, actor)
    changed = update_records([(beneficiary, values) for beneficiary, values, _ in pairs], actor)
    for beneficiary, _values, old_village in pairs:
        if beneficiary.village_id != old_village:
            move_dependants(beneficiary, old_village, actor)
    return changed


def move_dependants(beneficiary, old_village_id, actor):
    """A beneficiary who moves takes every record that belongs to them to the new village:
    their files, visits, cases and card, and what belongs to those (a case's sessions, a
    card's logs) - whatever the declarations say follows a person (records.entities).

    Phones of the old village are told each record left their scope.
    """
    old_scope = village_scope(old_village_id)
    moved = [record for statement in dependants("beneficiary", [beneficiary.id])
             for record in db.session.scalars(statement).all()]
    for record in moved:
        record.village_id = beneficiary.village_id
    db.session.flush()
    for record in moved:
        record_left(record, old_scope)
        record_change(record)
    record_left(beneficiary, old_scope)
    audit("move", user=actor, entity="beneficiary", record_id=beneficiary.id,
          changes={"from": str(old_village_id), "to": str(beneficiary.village_id)})


def delete_beneficiary(beneficiary, actor):
    scope.require_staff(actor)
    delete_record(beneficiary, actor)


def list_statement(filters, actor):
    statement = scope.visible(select(Beneficiary), Beneficiary, actor)
    if "village_id" in filters:
        statement = statement.where(Beneficiary.village_id == filters["village_id"])
    if "township_id" in filters:
        villages = select(Region.id).where(Region.parent_id == filters["township_id"])
        statement = statement.where(Beneficiary.village_id.in_(villages))
    for name in ("category", "status", "is_migrant"):
        if name in filters:
            statement = statement.where(getattr(Beneficiary, name) == filters[name])
    if filters.get("q"):
        statement = statement.where(Beneficiary.name.contains(filters["q"], autoescape=True))
    return statement.order_by(Beneficiary.village_id, Beneficiary.name, Beneficiary.id)
