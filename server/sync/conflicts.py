"""Conflicts kept for staff, and their resolution as an ordinary versioned change."""

from sqlalchemy import select

from .. import scope
from ..beneficiaries.identity import Reveal
from ..common.timeutil import utcnow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..records.audit import audit
from .entities import registry
from .models import SyncConflict
from .protect import HIDDEN, conflict_secrets, phone_values


def list_statement(filters, user):
    scope.require_staff(user)
    statement = select(SyncConflict)
    villages = scope.village_ids(user)
    if villages is not None:
        statement = statement.where(SyncConflict.village_id.in_(villages))
    if "village_id" in filters:
        statement = statement.where(SyncConflict.village_id == filters["village_id"])
    if filters.get("resolved"):
        statement = statement.where(SyncConflict.resolved_at.is_not(None))
    else:
        statement = statement.where(SyncConflict.resolved_at.is_(None))
    return statement.order_by(SyncConflict.created_at.desc())


# A screen's worth: conflicts are resolved as they come, a longer list is not read.
LISTED = 500


def list_conflicts(filters, user):
    """The newest :data:`LISTED` conflicts of :func:`list_statement`."""
    return db.session.scalars(list_statement(filters, user).limit(LISTED)).all()


def get_visible(conflict_id, user):
    scope.require_staff(user)
    conflict = db.session.get(SyncConflict, conflict_id)
    if conflict is None or (conflict.village_id and not scope.in_scope(conflict.village_id, user)):
        raise NotFound("冲突记录不存在")
    return conflict


def resolve(conflict, choices, user):
    """Apply the phone's value for each field marked "mine"; "server" keeps the server's."""
    if conflict.resolved_at is not None:
        raise ValidationFailed({"choices": ["该冲突已处理"]})
    fields = conflict.fields or {}
    unknown = set(choices) - set(fields)
    missing = set(fields) - set(choices)
    if unknown or missing:
        raise ValidationFailed({"choices": ["须为每个冲突字段选择一个值"]})
    entity = registry()[conflict.entity]
    record = db.session.get(entity.model, conflict.record_id)
    if record is None or record.deleted_at is not None:
        raise ValidationFailed({"record_id": ["记录已被删除"]})
    mine = phone_values(fields, [name for name, pick in choices.items() if pick == "mine"],
                        entity)
    if HIDDEN in mine.values():  # a conflict stored before the phone's value was kept
        raise ValidationFailed({"choices": ["身份证号冲突请直接修改优抚对象信息"]})
    if mine:
        entity.update(record, entity.update_schema().load(mine), user)
    conflict.resolved_at = utcnow()
    conflict.resolved_by_id = user.id
    conflict.resolution = choices
    audit("resolve_conflict", user=user, entity=conflict.entity, record_id=conflict.record_id,
          changes={"choices": choices})
    return conflict


def reveal_secrets(conflict, user):
    """The values the listing hides (a full ID number, the only secret field), for the
    officer resolving the conflict: opened by the audited reveal, which names them."""
    if conflict.resolved_at is not None:
        raise ValidationFailed({"conflict_id": ["该冲突已处理"]})
    entity = registry()[conflict.entity]
    names = sorted(set(conflict.fields or {}) & entity.secret_fields)
    if not names:
        return {"id": conflict.id, "fields": {}}
    with Reveal(user, entity=conflict.entity, record_id=conflict.record_id,
                details={"conflict": str(conflict.id), "fields": names}) as shown:
        secrets = conflict_secrets(conflict.fields, entity, shown.open)
    return {"id": conflict.id, "fields": secrets}
