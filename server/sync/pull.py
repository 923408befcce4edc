"""Answering a pull: the changes of the user's scope after their cursor, a page at a time.

The page is read with one SELECT on the change log, ordered by scope and
sequence number. Within a scope, numbers are handed out in commit order (see
changes.py), so the rows one SELECT sees form a prefix of every scope's
history: the new cursor (the highest number seen per scope) can never pass a
change that commits later. The client's ``last_mutation_id`` is read before
that SELECT, so every mutation it acknowledges is already in what follows.

An upsert row of most entities holds the change as it is sent, written by the
same transaction as the record (server/records/wire.py): it is the answer. Any
other row says "look at this record": the answer is the record as it stands
now, seen from this user: an upsert if they may see it, a delete if it was
deleted (``reason: deleted``) or left their scope (``out_of_scope``).
"""

import json
from functools import cache, lru_cache

from sqlalchemy import Integer, String, and_, bindparam, or_, select, text
from sqlalchemy.dialects import postgresql

from .. import scope
from ..common.timeutil import utcnow
from ..errors import Forbidden
from ..extensions import db
from ..records.changelog import COUNTY_SCOPE, REGIONS_SCOPE, upsert, user_scope, village_scope
from ..records.models import SyncChange, SyncScope
from ..records.wire import load_records, open_wire, stored_format, upsert_text
from ..regions.models import Region
from .cursor import Cursor, decode, scope_signature
from .entities import registry
from .models import SyncClient


def scope_keys(user):
    villages = scope.village_ids(user)
    if villages is None:
        villages = db.session.scalars(
            select(Region.id).where(Region.level == "village", Region.deleted_at.is_(None))
        ).all()
    return ([REGIONS_SCOPE, COUNTY_SCOPE, user_scope(user.id)]
            + [village_scope(v) for v in villages])


ANOTHER_USERS_CLIENT = "此客户端编号属于另一个用户"


@cache
def _pull_note(dialect):
    """SQLite: the upsert that stamps an install's last pull; no row is written when the
    install belongs to another user (built once per ``dialect``, the session's)."""
    table = SyncClient.__table__
    insert = upsert(table).values(
        id=bindparam("client_id"), user_id=bindparam("user_id"), last_mutation_id=0,
        outbox_size=0, last_pull_at=bindparam("now"))
    return insert.on_conflict_do_update(
        index_elements=["id"], set_={"last_pull_at": insert.excluded.last_pull_at},
        where=table.c.user_id == insert.excluded.user_id,
    )


# PostgreSQL, in one round trip: the same upsert, answering the install's last
# acknowledged mutation (NULL: another user's install, nothing written); the ids of the
# user's scopes; and a word to this transaction's commit not to wait for the disk (a
# timestamp only: a crash may lose it). Scope ids never change once made, so reading
# them in this statement's snapshot, taken before the upsert waited, is as good as later.
_OPEN_POSTGRESQL = text("""
WITH quiet AS (SELECT set_config('synchronous_commit', 'off', true)),
note AS (
    INSERT INTO sync_client (id, user_id, last_mutation_id, outbox_size, created_at, last_pull_at)
    SELECT :client_id, :user_id, 0, 0, :now, :now FROM quiet
    ON CONFLICT (id) DO UPDATE SET last_pull_at = excluded.last_pull_at
    WHERE sync_client.user_id = excluded.user_id
    RETURNING last_mutation_id
)
SELECT (SELECT last_mutation_id FROM note), ARRAY(SELECT id FROM sync_scope WHERE key = ANY(:keys)),
       (SELECT ARRAY[id, seq] FROM sync_scope WHERE key = :regions)
""").bindparams(bindparam("client_id", type_=String), bindparam("user_id", type_=Integer),
                bindparam("now", type_=SyncClient.__table__.c.last_pull_at.type),
                bindparam("keys", type_=postgresql.ARRAY(String)),
                bindparam("regions", type_=String))

# The page's statements, built once with their values bound per pull: SQLAlchemy keeps
# a statement's cache key, which a statement built anew makes again every time. The
# tables' columns, not the entities': plain rows, without the ORM's compile step.
_SCOPES, _LOG = SyncScope.__table__.c, SyncChange.__table__.c
_SCOPE_IDS = select(_SCOPES.id).where(_SCOPES.key.in_(bindparam("keys", expanding=True)))
_REGIONS = select(_SCOPES.id, _SCOPES.seq).where(_SCOPES.key == REGIONS_SCOPE)


@lru_cache(maxsize=64)
def _page(scope_count, initial, own_regions=False):
    """The page query over ``scope_count`` scopes (values ``s0``/``p0`` …: a scope id and
    the cursor's position in it), in log order, ``limit`` rows; a first pull skips
    tombstones. ``own_regions`` (a first pull): of the region tree's scope (``s0``) only
    the rows of the regions the user sees (``regions``)."""
    terms = [and_(_LOG.scope_id == bindparam(f"s{number}", type_=Integer),
                  _LOG.seq > bindparam(f"p{number}", type_=_LOG.seq.type))
             for number in range(scope_count)]
    if own_regions:
        terms[0] = and_(terms[0], _LOG.record_id.in_(bindparam("regions", expanding=True)))
    condition = or_(*terms)
    statement = select(_LOG.scope_id, _LOG.entity, _LOG.record_id, _LOG.seq, _LOG.kind,
                       _LOG.wire, _LOG.wire_format).where(condition)
    if initial:
        statement = statement.where(_LOG.kind == "upsert")
    return statement.order_by(_LOG.scope_id, _LOG.seq).limit(bindparam("limit", type_=Integer))


def _open(client_id, user):
    """(the install's last acknowledged mutation, the ids of the user's scopes, the region
    tree scope's (id, seq) or None), all read before the page is.

    PostgreSQL: the pull's transaction begins by stamping the install's last pull,
    one statement that also reads the number; it waits for a push of the same
    install that is committing, so whatever that push acknowledged is in the page.
    SQLite: a GET's transaction only reads (one that read and then wrote would fail
    whenever another writer committed meanwhile), so the row is read here and the
    stamp written after the page, in a transaction of its own (:func:`_note_after`).
    """
    keys = scope_keys(user)
    if client_id and db.session.get_bind().dialect.name == "postgresql":
        last, scope_ids, regions = db.session.execute(_OPEN_POSTGRESQL, {
            "client_id": client_id[:64], "user_id": user.id, "now": utcnow(), "keys": keys,
            "regions": REGIONS_SCOPE,
        }).one()
    else:
        scope_ids = db.session.execute(_SCOPE_IDS, {"keys": keys}).scalars().all()
        regions = db.session.execute(_REGIONS).one_or_none()
        last = 0
        if client_id:
            client = db.session.get(SyncClient, client_id[:64])
            last = 0 if client is None else (
                client.last_mutation_id if client.user_id == user.id else None)
    if last is None:
        raise Forbidden(ANOTHER_USERS_CLIENT, code="client_of_another_user")
    return last, scope_ids, tuple(regions) if regions else None


def _note_after(client_id, user_id):
    """SQLite: the stamp of :func:`_open`, in a transaction that writes first."""
    dialect = db.session.get_bind().dialect.name
    if client_id and dialect != "postgresql":
        db.session.connection(execution_options={"lianxin_writing": True})
        db.session.execute(_pull_note(dialect),
                           {"client_id": client_id[:64], "user_id": user_id, "now": utcnow()})
        db.session.commit()


def pull(user, client_id, cursor_token, limit):
    last_mutation_id, scope_ids, regions = _open(client_id, user)

    cursor = decode(cursor_token, user) if cursor_token else None
    reset = bool(cursor_token) and cursor is None
    initial = cursor is None
    if cursor is None:
        cursor = Cursor(scope_signature(user))

    positions = {sid: cursor.positions.get(sid, 0) for sid in scope_ids}
    # A first pull reads of the region tree (every county's regions, in a database of
    # several) only the user's own: the rest it would skip anyway, and the pages after it
    # would send each as a delete. The region scope goes first (``s0``).
    own_regions = initial and regions is not None and regions[0] in positions
    if own_regions:
        positions = {regions[0]: positions.pop(regions[0]), **positions}

    rows = []
    if positions:
        values = {"limit": limit + 1}
        for number, (sid, seq) in enumerate(positions.items()):
            values[f"s{number}"], values[f"p{number}"] = sid, seq
        if own_regions:
            values["regions"] = list(scope.region_scope(user))
        rows = db.session.execute(_page(len(positions), initial, own_regions), values).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    for scope_id, _, _, seq, *_ in rows:
        positions[scope_id] = max(positions[scope_id], seq)
    if own_regions and (not has_more or rows[-1][0] > regions[0]):
        # The page read the user's regions to the end (log order is scope, then number):
        # every change the region counter had handed out when _open read it (committed
        # then, so seen by the page) that the page did not bring is another user's.
        positions[regions[0]] = max(positions[regions[0]], regions[1])

    changes = _changes_for(rows, user, include_deletes=not initial)
    new_cursor = Cursor(cursor.signature, positions)
    user_id = user.id  # read before the commit expires it
    db.session.commit()
    _note_after(client_id, user_id)
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


def _changes_for(rows, user, include_deletes):
    """The page's changes as JSON text, in log order.

    An upsert row of a stored entity is in a village scope of this user or in the
    county's (scope_keys), so its record is theirs to see: the row's stored text is the answer. Any other
    row is answered from the record as it stands now, seen from this user.
    """
    entities = registry()
    formats = {name: stored_format(entity) for name, entity in entities.items()}
    # (entity, record id, kind, the stored text if it is the answer, else None)
    page = [(entity, record_id, kind,
             wire if kind == "upsert" and wire is not None and wire_format == formats.get(entity)
             else None)
            for _, entity, record_id, _, kind, wire, wire_format in rows]
    wanted = {}
    for entity, record_id, _, stored in page:
        if stored is None:
            wanted.setdefault(entity, []).append(record_id)
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
    for name, record_id, kind, stored in page:
        key = (name, record_id)
        if key in seen:
            continue
        if stored is not None:
            seen.add(key)
            changes.append(open_wire(stored))
            continue
        if key not in records:
            continue
        entity, record = entities[name], records[key]
        visible = record.deleted_at is None and scope.can_see(entity, record, user)
        if kind == "left" and visible:
            # It moved to another scope of this user, whose own change row (numbered
            # after this cursor) brings it: sending it here too would repeat it.
            continue
        seen.add(key)
        if visible:
            changes.append(upsert_text(entity, record))
        elif include_deletes:
            reason = "deleted" if record.deleted_at is not None else "out_of_scope"
            changes.append(json.dumps(
                {"entity": name, "record_id": str(record.id), "op": "delete",
                 "version": record.version, "reason": reason},
                ensure_ascii=False, separators=(",", ":")))
    return changes
