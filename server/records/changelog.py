"""The change log pulls read: which record changed in which scope, in commit order.

Every create, update and delete of a synced record calls :func:`record_change`
inside the writing transaction (see server/records/versioning.py). It bumps the
scope's counter with an upsert, which takes the scope row's lock until commit:
a second writer of the same scope waits, so its sequence number is only handed
out after the first has committed. A pull that has seen sequence number N of a
scope has therefore seen every commit numbered below N.
"""

from functools import cache

from sqlalchemy import String, Text, Uuid, bindparam, literal, text
from sqlalchemy.dialects import postgresql, sqlite

from ..common.bulk import insert_rows, uuid_text
from ..common.timeutil import utcnow
from ..extensions import db
from .entities import COUNTY, OWNER, REGIONS, of_record
from .models import SyncChange, SyncScope
from .wire import stored_wire

REGIONS_SCOPE = "regions"
COUNTY_SCOPE = "county"  # pulled by every user: the county's policy library


def village_scope(village_id):
    return f"v:{village_id}"


def village_scope_key(dialect, village_id):
    """:func:`village_scope` as SQL, of a column of village ids."""
    return literal("v:") + uuid_text(dialect, village_id)


def user_scope(user_id):
    return f"u:{user_id}"


def scope_key_of(record):
    """The scope a synced record belongs to (its declaration's ``audience``), or None for
    records phones never hold."""
    entity = of_record(record)
    if entity is None:
        return None
    return audience_scope(entity.audience, village_id=getattr(record, "village_id", None),
                          user_id=getattr(record, "user_id", None))


def audience_scope(audience, *, village_id=None, user_id=None):
    """The scope of a record of ``audience`` (server/records/entities.py) whose village
    or owning user these are: the one rule, for records and for bulk-written rows."""
    if audience == REGIONS:
        return REGIONS_SCOPE
    if audience == OWNER:
        return user_scope(user_id)
    if audience == COUNTY:
        return COUNTY_SCOPE
    return village_scope(village_id)


def upsert(table):
    """The dialect's ``INSERT`` that takes ``ON CONFLICT`` clauses."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@cache
def _bump(dialect):
    """The counter upsert of :func:`bump` (built once per ``dialect``, the session's)."""
    table = SyncScope.__table__
    count = bindparam("count", type_=table.c.seq.type)
    return upsert(table).values(key=bindparam("key"), seq=count).on_conflict_do_update(
        index_elements=["key"], set_={"seq": table.c.seq + count}
    ).returning(table.c.id, table.c.seq)


def bump(scope_key, count=1):
    """Take the next ``count`` sequence numbers of a scope (creating the scope on first
    use); returns (scope id, the last of them)."""
    statement = _bump(db.session.get_bind().dialect.name)
    return db.session.execute(statement, {"key": scope_key, "count": count}).one()


# PostgreSQL: the counter bump and the change upsert in one statement (one round trip).
# The scope row's lock is taken by the same upsert as in ``bump`` and held to commit,
# so the ordering argument above is unchanged.
_LOG_POSTGRESQL = text("""
WITH s AS (
    INSERT INTO sync_scope (key, seq) VALUES (:key, 1)
    ON CONFLICT (key) DO UPDATE SET seq = sync_scope.seq + 1
    RETURNING id, seq
)
INSERT INTO sync_change (scope_id, entity, record_id, seq, kind, changed_at, wire, wire_format)
SELECT s.id, :entity, :record_id, s.seq, :kind, :changed_at, :wire, :wire_format FROM s
ON CONFLICT (scope_id, entity, record_id) DO UPDATE
SET seq = excluded.seq, kind = excluded.kind, changed_at = excluded.changed_at,
    wire = excluded.wire, wire_format = excluded.wire_format
""").bindparams(
    bindparam("key", type_=String), bindparam("entity", type_=String),
    bindparam("record_id", type_=Uuid), bindparam("kind", type_=String),
    bindparam("changed_at", type_=SyncChange.__table__.c.changed_at.type),
    bindparam("wire", type_=Text), bindparam("wire_format", type_=String),
)


def _log(scope_key, entity, record_id, kind, wire=(None, None)):
    values = {"entity": entity, "record_id": record_id, "kind": kind, "changed_at": utcnow(),
              "wire": wire[0], "wire_format": wire[1]}
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_LOG_POSTGRESQL, {"key": scope_key, **values})
        return
    scope_id, seq = bump(scope_key)
    _upsert_changes([{"scope_id": scope_id, "seq": seq, **values}])


def _upsert_changes(rows):
    statement = upsert(SyncChange.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["scope_id", "entity", "record_id"],
        set_={name: statement.excluded[name]
              for name in ("seq", "kind", "changed_at", "wire", "wire_format")},
    )
    db.session.execute(statement, rows)


def _kind(record):
    return "delete" if getattr(record, "deleted_at", None) is not None else "upsert"


def _wire(record, kind):
    return stored_wire(record) if kind == "upsert" else (None, None)


def record_changes(records, *, new=False):
    """:func:`record_change` for many records at once: each scope's counter is bumped
    once for all of its records (the same row lock, taken once), and the change rows
    are written by one statement per scope. A record listed twice is logged once.

    ``new``: the records were just created, so no change row names them yet: the
    rows of every scope are inserted at once (server/common/bulk.py: one COPY on
    PostgreSQL), not upserted."""
    by_scope = {}
    for record in records:
        key = scope_key_of(record)
        if key is not None:
            by_scope.setdefault(key, {})[(record.wire_entity, record.id)] = record
    now = utcnow()
    inserted = []
    for key, entries in by_scope.items():
        scope_id, last = bump(key, len(entries))
        rows = []
        for seq, ((entity, record_id), record) in enumerate(entries.items(),
                                                            last - len(entries) + 1):
            kind = _kind(record)
            wire, wire_format = _wire(record, kind)
            rows.append({"scope_id": scope_id, "entity": entity, "record_id": record_id,
                         "seq": seq, "kind": kind, "changed_at": now, "wire": wire,
                         "wire_format": wire_format})
        if new:
            inserted += rows
        else:
            _upsert_changes(rows)
    insert_rows(SyncChange.__table__, inserted)


def record_change(record):
    """Log that ``record`` was created, changed or deleted, in its own scope."""
    key = scope_key_of(record)
    if key is not None:
        kind = _kind(record)
        _log(key, record.wire_entity, record.id, kind, _wire(record, kind))


def record_left(record, old_scope_key):
    """``record`` now belongs to another scope: phones of the old one must drop it."""
    if scope_key_of(record) != old_scope_key:
        _log(old_scope_key, record.wire_entity, record.id, "left")
