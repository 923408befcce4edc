"""Health file and health event rules, shared by the REST API and sync.

Anyone who may see the person may keep their health file and events: the
village's liaison records them in the field, staff of the township or county
correct them. Every change is versioned and audited (health text redacted).
"""

from sqlalchemy import select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import month_bounds
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..records.versioning import create_record, delete_record, require_new_id, update_record
from ..regions.models import Region
from .models import HealthEvent, HealthFile
from .schemas import health_event_rule_errors

HEALTH_FILE_FIELDS = (
    "conditions", "disability", "insurance", "family_doctor", "medications", "last_checkup",
)
HEALTH_EVENT_FIELDS = (
    "beneficiary_id", "kind", "occurred_on", "description", "hospital", "aid_amount_fen",
)


def _require_same_beneficiary(record, changes):
    if changes.get("beneficiary_id", record.beneficiary_id) != record.beneficiary_id:
        raise ValidationFailed({"beneficiary_id": ["不能更改记录所属的优抚对象"]})


def _beneficiary_for_write(beneficiary_id, actor):
    return scope.require_reference(
        Beneficiary, beneficiary_id, actor, "beneficiary_id", scope.OUT_OF_SCOPE
    )


# --- health file -------------------------------------------------------------------


def find_health_file(beneficiary):
    """The person's health file, soft-deleted or not (there is at most one row)."""
    return db.session.scalar(
        select(HealthFile).where(HealthFile.beneficiary_id == beneficiary.id)
    )


def health_file_of(beneficiary):
    health_file = find_health_file(beneficiary)
    if health_file is None or health_file.deleted_at is not None:
        raise NotFound("该优抚对象还没有健康档案")
    return health_file


def create_health_file(beneficiary, values, actor):
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(HealthFile, record_id)
    values.pop("beneficiary_id", None)
    health_file = HealthFile(
        beneficiary_id=beneficiary.id, village_id=beneficiary.village_id,
        **{name: values[name] for name in HEALTH_FILE_FIELDS if name in values},
    )
    return create_record(health_file, actor, record_id=record_id)


def update_health_file(health_file, changes, actor):
    changes = {name: changes[name] for name in HEALTH_FILE_FIELDS if name in changes}
    if health_file.deleted_at is not None:
        # one file per person: writing to a removed file brings it back
        changes["deleted_at"] = None
    return update_record(health_file, changes, actor)


def add_health_file(values, actor):
    """A new file naming its person (a phone's create): one file per person."""
    beneficiary = _beneficiary_for_write(values.get("beneficiary_id"), actor)
    if find_health_file(beneficiary) is not None:
        raise ValidationFailed({"beneficiary_id": ["该优抚对象已有健康档案，请同步后再修改"]})
    return create_health_file(beneficiary, values, actor)


def edit_health_file(health_file, changes, actor):
    """A change to a file (a phone's update): it stays with its person."""
    scope.require(health_file, actor)
    changes = {k: v for k, v in changes.items() if k != "id"}
    _require_same_beneficiary(health_file, changes)
    return update_health_file(health_file, changes, actor)


def upsert_health_file(beneficiary, values, actor):
    """Create the person's file or change the given fields; returns (file, created)."""
    scope.require(beneficiary, actor)
    if values.get("beneficiary_id", beneficiary.id) != beneficiary.id:
        raise ValidationFailed({"beneficiary_id": ["与所选优抚对象不一致"]})
    health_file = find_health_file(beneficiary)
    if health_file is None:
        return create_health_file(beneficiary, values, actor), True
    if values.get("id") is not None and values["id"] != health_file.id:
        raise ValidationFailed({"id": ["该优抚对象已有健康档案，编号不一致"]})
    update_health_file(health_file, values, actor)
    return health_file, False


# --- health events -----------------------------------------------------------------


def create_health_event(values, actor):
    values = dict(values)
    record_id = values.pop("id", None)
    beneficiary = _beneficiary_for_write(values["beneficiary_id"], actor)
    errors = health_event_rule_errors(values)
    if errors:
        raise ValidationFailed(errors)
    require_new_id(HealthEvent, record_id)
    event = HealthEvent(
        village_id=beneficiary.village_id,
        **{name: values[name] for name in HEALTH_EVENT_FIELDS if name in values},
    )
    return create_record(event, actor, record_id=record_id)


def update_health_event(event, changes, actor):
    scope.require_keeper(event, actor)
    _require_same_beneficiary(event, changes)
    changes = {name: changes[name] for name in HEALTH_EVENT_FIELDS if name in changes}
    merged = {**{name: getattr(event, name) for name in HEALTH_EVENT_FIELDS}, **changes}
    errors = health_event_rule_errors(merged)
    if errors:
        raise ValidationFailed(errors)
    return update_record(event, changes, actor)


def delete_health_event(event, actor):
    scope.require_keeper(event, actor)
    delete_record(event, actor)


def list_events_statement(filters, actor):
    statement = scope.visible(select(HealthEvent), HealthEvent, actor)
    for name in ("beneficiary_id", "village_id", "kind"):
        if name in filters:
            statement = statement.where(getattr(HealthEvent, name) == filters[name])
    if "township_id" in filters:
        villages = select(Region.id).where(Region.parent_id == filters["township_id"])
        statement = statement.where(HealthEvent.village_id.in_(villages))
    if "month" in filters:
        first, following = month_bounds(filters["month"])
        statement = statement.where(
            HealthEvent.occurred_on >= first, HealthEvent.occurred_on < following
        )
    return statement.order_by(
        HealthEvent.occurred_on.desc(), HealthEvent.created_at.desc(), HealthEvent.id
    )
