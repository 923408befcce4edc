"""Answering a pull: the changes of the user's scope after their cursor, a page at a time.

The page is read with one SELECT on the change log, ordered by scope and
sequence number. Within a scope, numbers are handed out in commit order (see
changes.py), so the rows one SELECT sees form a prefix of every scope's
history: the new cursor (the highest number seen per scope) can never pass a
change that commits later. The client's ``last_mutation_id`` is read before
that SELECT, so every mutation it acknowledges is already in what follows.

An upsert row of most entities holds the change as it is sent, written by the
same transaction as the record (server/sync/wire.py): it is the answer. Any
other row says "look at this record": the answer is the record as it stands
now, seen from this user: an upsert if they may see it, a delete if it was
deleted (``reason: deleted``) or left their scope (``out_of_scope``).
"""

import json

from sqlalchemy import and_, or_, select, text

from .. import scope
from ..common.timeutil import utcnow
from ..errors import Forbidden
from ..extensions import db
from ..regions.models import Region
from .changes import REGIONS_SCOPE, upsert, user_scope, village_scope
from .cursor import Cursor, decode, scope_signature
from .entities import registry
from .models import SyncChange, SyncClient, SyncScope
from .wire import load_records, open_wire, stored_format, upsert_text


def scope_keys(user):
    villages = scope.village_ids(user)
    if villages is None:
        villages = db.session.scalars(
            select(Region.id).where(Region.level == "village", Region.deleted_at.is_(None))
        ).all()
    return [REGIONS_SCOPE, user_scope(user.id)] + [village_scope(v) for v in villages]


def _client(client_id, user):
    """The install's row, read only (its telemetry is written after the page)."""
    if not client_id:
        return None
    client = db.session.get(SyncClient, client_id[:64])
    if client is not None and client.user_id != user.id:
        raise Forbidden("此客户端编号属于另一个用户", code="client_of_another_user")
    return client


def _note_pull(client_id, user):
    """Record the pull in the install's telemetry, in a transaction of its own that
    writes first: on SQLite a GET's transaction only reads, and one that read and then
    wrote would fail at once whenever another writer committed meanwhile."""
    db.session.connection(execution_options={"lianxin_writing": True})
    if db.session.get_bind().dialect.name == "postgresql":
        # a timestamp only: a crash may lose it, so the commit need not wait for the disk
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    statement = upsert(SyncClient.__table__).values(
        id=client_id[:64], user_id=user.id, last_mutation_id=0, outbox_size=0,
        last_pull_at=utcnow())
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["id"], set_={"last_pull_at": statement.excluded.last_pull_at},
        where=SyncClient.__table__.c.user_id == user.id))
    db.session.commit()


def pull(user, client_id, cursor_token, limit):
    client = _client(client_id, user)
    last_mutation_id = client.last_mutation_id if client is not None else 0

    cursor = decode(cursor_token, user) if cursor_token else None
    reset = bool(cursor_token) and cursor is None
    initial = cursor is None
    if cursor is None:
        cursor = Cursor(scope_signature(user))

    scope_ids = dict(db.session.execute(
        select(SyncScope.key, SyncScope.id).where(SyncScope.key.in_(scope_keys(user)))
    ).all())
    positions = {sid: cursor.positions.get(sid, 0) for sid in scope_ids.values()}

    rows = []
    if positions:
        condition = or_(*(and_(SyncChange.scope_id == sid, SyncChange.seq > seq)
                          for sid, seq in positions.items()))
        statement = select(SyncChange.scope_id, SyncChange.entity, SyncChange.record_id,
                           SyncChange.seq, SyncChange.kind, SyncChange.wire,
                           SyncChange.wire_format).where(condition)
        if initial:
            statement = statement.where(SyncChange.kind == "upsert")
        rows = db.session.execute(
            statement.order_by(SyncChange.scope_id, SyncChange.seq).limit(limit + 1)
        ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        positions[row.scope_id] = max(positions[row.scope_id], row.seq)

    changes = _changes_for(rows, user, include_deletes=not initial)
    new_cursor = Cursor(cursor.signature, positions)
    db.session.commit()
    if client_id:
        _note_pull(client_id, user)
    return {
        "changes": changes,
        "cursor": new_cursor.encode(),
        "has_more": has_more,
        "reset": reset,
        "last_mutation_id": last_mutation_id,
    }


def encode(body):
    """A pull's answer as JSON bytes (its changes are JSON text already)."""
    rest = json.dumps({k: v for k, v in body.items() if k != "changes"},
                      ensure_ascii=False, separators=(",", ":"))
    return ('{"changes":[' + ",".join(body["changes"]) + "]," + rest[1:]).encode()


def _stored(row, formats):
    """Whether the change row holds its upsert as sent, in today's format."""
    return (row.kind == "upsert" and row.wire is not None
            and row.wire_format == formats.get(row.entity))


def _changes_for(rows, user, include_deletes):
    """The page's changes as JSON text, in log order.

    An upsert row of a stored entity is in a village scope of this user (scope_keys),
    so its record is theirs to see: the row's stored text is the answer. Any other
    row is answered from the record as it stands now, seen from this user.
    """
    entities = registry()
    formats = {name: stored_format(entity) for name, entity in entities.items()}
    wanted = {}
    for row in rows:
        if not _stored(row, formats):
            wanted.setdefault(row.entity, []).append(row.record_id)
    records, held = {}, []  # held: what preload loaded, alive until the page is dumped
    for name, ids in wanted.items():
        entity = entities.get(name)
        if entity is None:
            continue
        loaded = load_records(entity, ids)
        for record in loaded:
            records[(name, record.id)] = record
        if entity.preload is not None:
            held.append(entity.preload(loaded))

    changes, seen = [], set()
    for row in rows:
        key = (row.entity, row.record_id)
        if key in seen:
            continue
        if _stored(row, formats):
            seen.add(key)
            changes.append(open_wire(row.wire))
            continue
        if key not in records:
            continue
        entity, record = entities[row.entity], records[key]
        visible = record.deleted_at is None and entity.can_see(record, user)
        if row.kind == "left" and visible:
            # It moved to another scope of this user, whose own change row (numbered
            # after this cursor) brings it: sending it here too would repeat it.
            continue
        seen.add(key)
        if visible:
            changes.append(upsert_text(entity, record))
        elif include_deletes:
            reason = "deleted" if record.deleted_at is not None else "out_of_scope"
            changes.append(json.dumps(
                {"entity": row.entity, "record_id": str(record.id), "op": "delete",
                 "version": record.version, "reason": reason},
                ensure_ascii=False, separators=(",", ":")))
    return changes
