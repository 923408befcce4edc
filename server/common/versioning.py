"""Create, change and soft-delete synced records: one place for version, stamps and audit.

Every domain operation goes through these three functions, so a REST write and
a sync mutation leave the same trace: version +1, the fields' versions, the
UTC stamp, a change-log entry for pulls and an audit row. They flush; the
caller commits.
"""

from datetime import date, datetime
from uuid import UUID

from ..audit.operations import audit
from ..errors import ValidationFailed
from ..extensions import db
from ..sync.changes import record_change
from .timeutil import utcnow

# Never written into the audit log in clear.
REDACTED_FIELDS = {
    "id_number_encrypted", "id_number_hash", "conditions", "disability", "medications",
    "token_hash",
}
REDACTED = "（已加密，不记录）"


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _audit_value(model, field, value):
    if field in REDACTED_FIELDS or field in getattr(model, "audit_redacted", ()):
        return REDACTED
    return _plain(value)


def require_new_id(model, record_id):
    """A client-made id must not name an existing row (a deleted one included): a field
    error instead of the database's unique violation."""
    if record_id is not None and db.session.get(model, record_id) is not None:
        raise ValidationFailed({"id": ["该编号已被使用"]})


def create_record(record, actor, *, record_id=None):
    now = utcnow()
    if record_id is not None:
        record.id = record_id
    record.version = 1
    record.created_at = record.updated_at = now
    columns = [c.key for c in record.__table__.columns if c.key not in _BOOKKEEPING]
    # Set before the flush, so the INSERT carries it (no second UPDATE round trip).
    record.field_versions = {name: 1 for name in columns}
    db.session.add(record)
    db.session.flush()
    record_change(record)
    audit(
        "create", user=actor, entity=type(record).__tablename__, record_id=record.id,
        changes={k: _audit_value(type(record), k, getattr(record, k)) for k in columns
                 if getattr(record, k) is not None},
    )
    return record


def update_record(record, values, actor, *, action="update"):
    """Apply ``values`` (field -> new value); returns the names of fields that changed."""
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    if not changed:
        return []
    model = type(record)
    diff = {
        k: [_audit_value(model, k, getattr(record, k)), _audit_value(model, k, v)]
        for k, v in changed.items()
    }
    record.version += 1
    versions = dict(record.field_versions or {})
    for name, value in changed.items():
        setattr(record, name, value)
        versions[name] = record.version
    record.field_versions = versions
    record.updated_at = utcnow()
    db.session.flush()
    record_change(record)
    audit(action, user=actor, entity=model.__tablename__, record_id=record.id, changes=diff)
    return list(changed)


def delete_record(record, actor):
    if record.deleted_at is not None:
        return
    record.version += 1
    record.deleted_at = record.updated_at = utcnow()
    db.session.flush()
    record_change(record)
    audit("delete", user=actor, entity=type(record).__tablename__, record_id=record.id)


_BOOKKEEPING = {"id", "version", "created_at", "updated_at", "deleted_at", "field_versions"}
