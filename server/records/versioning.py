"""Create, change and soft-delete synced records: one place for version, stamps and audit.

Every domain operation goes through these three functions, so a REST write and
a sync mutation leave the same trace: version +1, the fields' versions, the
UTC stamp, a change-log entry for pulls and an audit row. They flush; the
caller commits.
"""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    Uuid,
    func,
    inspect,
    literal,
    select,
    text,
    true,
)
from sqlalchemy import insert as sql_insert

from ..common.bulk import insert_rows, json_without_nulls, python_default, uuid_text
from ..common.crypto import sealed_columns
from ..common.timeutil import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from .audit import audit, audit_many, where_from
from .changelog import record_change, record_changes, upsert, village_scope_key
from .models import AuditEntry, SyncChange, SyncScope

# Never written into the audit log in clear: a model's sealed columns (its encrypted
# ones and its secrets, declared on the column: server/common/crypto.py).
REDACTED = "（已加密，不记录）"


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _audit_value(model, field, value):
    if value is not None and field in sealed_columns(model.__table__):
        return REDACTED
    return _plain(value)


def require_new_id(model, record_id):
    """A client-made id must not name an existing row (a deleted one included): a field
    error instead of the database's unique violation."""
    if record_id is not None and db.session.get(model, record_id) is not None:
        raise ValidationFailed({"id": ["该编号已被使用"]})


def taken_ids(model, record_ids):
    """Which of ``record_ids`` already name a row (a deleted one included): one query."""
    wanted = [record_id for record_id in record_ids if record_id is not None]
    if not wanted:
        return set()
    ids = model.__table__.c.id
    return set(db.session.scalars(select(ids).where(ids.in_(wanted))))


def _columns(record):
    return _columns_of(record.__table__)


def _stamp_new(record, columns, now, record_id=None):
    if record_id is not None:
        record.id = record_id
    record.version = 1
    record.created_at = record.updated_at = now
    # Set before the flush, so the INSERT carries it (no second UPDATE round trip).
    record.field_versions = {name: 1 for name in columns}


def _creation(record, columns):
    # read from the instance's own dict: a new record holds every value it has there,
    # and the ORM's attribute machinery was a tenth of a bulk write
    state, model = record.__dict__, type(record)
    return ("create", model.__tablename__, record.id,
            {k: _audit_value(model, k, state[k]) for k in columns
             if state.get(k) is not None})


def built(model, values):
    """A new ``model`` record holding ``values``, made for :func:`create_records`
    without the ORM's change tracking, which only a session's flush reads: create_records
    writes the rows itself and never adds its records to the session. A third of the
    cost of a bulk write was setting attributes through that machinery."""
    record = inspect(model).class_manager.new_instance()
    record.__dict__.update(values)
    return record


def create_record(record, actor, *, record_id=None):
    require_new_id(type(record), record_id)  # REST and sync alike: 422, not the database's 500
    columns = _columns(record)
    _stamp_new(record, columns, utcnow(), record_id)
    db.session.add(record)
    db.session.flush()
    record_change(record)
    action, entity, record_id, changes = _creation(record, columns)
    audit(action, user=actor, entity=entity, record_id=record_id, changes=changes)
    return record


def create_records(records, actor):
    """:func:`create_record` for many new records of one model (ids already set): the
    rows written at once (server/common/bulk.py), one audit write, and one counter
    bump per scope for all of them. The records are not added to the session: they
    stay as built, and a later read of one loads it from the database."""
    if not records:
        return records
    now = utcnow()
    columns = _columns(records[0])
    mapper = inspect(type(records[0]))
    for record in records:
        _stamp_new(record, columns, now)
    insert_rows(mapper.local_table, [_row(mapper, record) for record in records])
    record_changes(records, new=True)
    audit_many([_creation(record, columns) for record in records], user=actor)
    return records


def create_selected(model, selection, actor):
    """:func:`create_records` done by the database: a new ``model`` record for each row of
    ``selection`` (a SELECT whose labels are column keys of ``model``; ``id`` is given
    by :func:`server.common.bulk.new_uuid`), with the same version, stamps, audit row
    and change-log row, in a few statements however many rows there are. Returns how
    many were made.

    For records of a village's scope whose columns are neither sealed nor secret (the
    audit would have to redact them): a visit task. Their change-log rows carry no
    stored wire text; a pull dumps such rows when it sends them (server/sync/pull.py),
    as it does rows of an older wire format.
    """
    table = model.__table__
    keys = [column.key for column in selection.selected_columns]
    assert "id" in keys and "village_id" in keys, "a village's records, with their ids"
    assert not set(keys) & set(sealed_columns(table)), "sealed values are never audited"
    made = _scratch_table(table, keys)
    session = db.session
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Compiling these statements to machine code cost more than running them
        # (2.2 s of 4 s for the county's task selection): not for this transaction.
        session.execute(text("SET LOCAL jit = off"))
    made.create(connection)
    try:
        session.execute(sql_insert(made).from_select(keys, selection))
        count = session.scalar(select(func.count()).select_from(made))
        if count:
            _insert_selected(model, made, keys, actor)
        return count
    finally:
        made.drop(connection)


def _scratch_table(table, keys):
    """A temporary table of ``keys`` typed as ``table``'s columns, for one statement run."""
    return Table(f"made_{table.name}", MetaData(),
                 *(Column(key, table.c[key].type) for key in keys), prefixes=["TEMPORARY"])


def _insert_selected(model, made, keys, actor):
    table, now, dialect = model.__table__, utcnow(), db.session.get_bind().dialect.name
    columns = _columns_of(table)
    stamp = literal(now, type_=table.c.created_at.type)
    values = {key: made.c[key] for key in keys}
    values.update(version=literal(1), created_at=stamp, updated_at=stamp,
                  field_versions=literal({name: 1 for name in columns},
                                         type_=table.c.field_versions.type))
    db.session.execute(sql_insert(table).from_select(list(values), select(*values.values())))
    # the audit rows, as create_records writes them: the non-empty values, ids as text
    shown = [key for key in columns if key in keys]
    changes = json_without_nulls(dialect, [
        (key, uuid_text(dialect, made.c[key]) if _is_uuid(table.c[key]) else made.c[key])
        for key in shown])
    where, user = where_from(), actor
    audit = {"at": literal(now, type_=AuditEntry.__table__.c.at.type),
             "user_id": literal(user.id if user is not None else None),
             "username": literal(user.username if user is not None else None),
             "action": literal("create"), "entity": literal(table.name),
             "record_id": uuid_text(dialect, made.c.id), "changes": changes,
             "ip": literal(where.get("ip")), "client_id": literal(where.get("client_id"))}
    db.session.execute(sql_insert(AuditEntry.__table__).from_select(
        list(audit), select(*audit.values()).order_by(made.c.village_id, made.c.id)))
    _log_selected(model, made, dialect, now)


def _log_selected(model, made, dialect, now):
    """The change-log rows of the records in ``made``: each village's counter bumped once
    by its number of records (the upsert takes the scope rows' locks, in key order, as
    record_changes does), then a row each, numbered below the new counter."""
    scope = SyncScope.__table__
    key = village_scope_key(dialect, made.c.village_id)
    counts = select(key.label("key"), func.count().label("seq")).where(true()).group_by(
        made.c.village_id).order_by(key)
    bump = upsert(scope).from_select(["key", "seq"], counts)
    db.session.execute(bump.on_conflict_do_update(
        index_elements=["key"], set_={"seq": scope.c.seq + bump.excluded.seq}))
    within = {"partition_by": made.c.village_id}
    seq = (scope.c.seq - func.count().over(**within)
           + func.row_number().over(**within, order_by=made.c.id))
    rows = {"scope_id": scope.c.id, "entity": literal(model.wire_entity),
            "record_id": made.c.id, "seq": seq, "kind": literal("upsert"),
            "changed_at": literal(now, type_=SyncChange.__table__.c.changed_at.type)}
    db.session.execute(sql_insert(SyncChange.__table__).from_select(
        list(rows), select(*rows.values()).select_from(made).join(scope, scope.c.key == key)))


def _columns_of(table):
    return [c.key for c in table.columns if c.key not in _BOOKKEEPING]


def _is_uuid(column):
    return isinstance(column.type, Uuid)


def _row(mapper, record):
    """The column values of a record not yet written, by column key. A column's Python
    default is set on the record first, as a flush would: record and row agree (the
    change log's wire text is dumped from the record)."""
    state = record.__dict__
    for prop in mapper.column_attrs:
        default = prop.columns[0].default
        if prop.key not in state and default is not None and (default.is_scalar
                                                              or default.is_callable):
            setattr(record, prop.key, python_default(default))
    return {prop.columns[0].key: state[prop.key] for prop in mapper.column_attrs
            if prop.key in state}


def _apply_changes(record, values):
    """Set the changed ``values`` with version bookkeeping; returns the audit diff."""
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    if not changed:
        return {}
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
    return diff


def update_record(record, values, actor, *, action="update"):
    """Apply ``values`` (field -> new value); returns the names of fields that changed."""
    diff = _apply_changes(record, values)
    if not diff:
        return []
    db.session.flush()
    record_change(record)
    audit(action, user=actor, entity=type(record).__tablename__, record_id=record.id,
          changes=diff)
    return list(diff)


def update_records(changes, actor, *, action="update"):
    """:func:`update_record` for many (record, values) pairs: one flush, one audit
    INSERT, one counter bump per scope. Returns the records that changed."""
    changed, entries = [], []
    for record, values in changes:
        diff = _apply_changes(record, values)
        if diff:
            changed.append(record)
            entries.append((action, type(record).__tablename__, record.id, diff))
    if changed:
        db.session.flush()
        record_changes(changed)
        audit_many(entries, user=actor)
    return changed


def delete_record(record, actor):
    if record.deleted_at is not None:
        return
    record.version += 1
    record.deleted_at = record.updated_at = utcnow()
    db.session.flush()
    record_change(record)
    audit("delete", user=actor, entity=type(record).__tablename__, record_id=record.id)


_BOOKKEEPING = {"id", "version", "created_at", "updated_at", "deleted_at", "field_versions"}
