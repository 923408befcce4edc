"""The sync change log for everything the seed wrote, so phones pull the demo county.

Records made through ``server.records.versioning`` log themselves one by one;
the seed's bulk inserts do not, so the log is written here in bulk afterwards:
one ``sync_scope`` row per scope (the region tree, each village, each user with
notifications) whose counter is the number of records in it, and one
``upsert`` change per record, numbered in insertion order (parents first),
holding the record as a pull sends it (server/records/wire.py), as a write through
versioning would.
"""

from sqlalchemy import insert, select

from ..extensions import db
from ..records.models import SyncChange, SyncScope
from ..records.wire import load_records, stored_format, stored_wire
from ..sync.entities import registry

BATCH = 50_000


def build_change_log(seeder):
    scopes = seeder.changes
    db.session.execute(
        insert(SyncScope.__table__),
        [{"key": key, "seq": len(entries)} for key, entries in scopes.items()],
    )
    ids = dict(db.session.execute(select(SyncScope.key, SyncScope.id)).all())
    changed_at = seeder.now

    # The wire text is read from the records just inserted, on the same connection, so
    # it is made before each COPY (a query cannot run while a COPY is open): the log is
    # written in batches of whole scopes.
    batch = []
    for key, entries in scopes.items():
        scope_id = ids[key]
        wires = _wires(entries)
        for seq, (entity, record_id) in enumerate(entries, 1):
            wire, wire_format = wires.get((entity, record_id), (None, None))
            batch.append({"scope_id": scope_id, "entity": entity, "record_id": record_id,
                          "seq": seq, "kind": "upsert", "changed_at": changed_at,
                          "wire": wire, "wire_format": wire_format})
        if len(batch) >= BATCH:
            seeder.insert(SyncChange, batch, label="sync_changes")
            batch = []
    if batch:
        seeder.insert(SyncChange, batch, label="sync_changes")


def _wires(entries):
    """{(entity, id): (wire text, format)} of one scope's records that store it."""
    entities = registry()
    by_entity = {}
    for name, record_id in entries:
        if name in entities and stored_format(entities[name]) is not None:
            by_entity.setdefault(name, []).append(record_id)
    wires = {}
    for name, record_ids in by_entity.items():
        for record in load_records(entities[name], record_ids):
            wires[(name, record.id)] = stored_wire(record)
    return wires
