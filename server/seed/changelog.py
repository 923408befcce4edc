"""The sync change log for everything the seed wrote, so phones pull the demo county.

Records made through ``server.common.versioning`` log themselves one by one;
the seed's bulk inserts do not, so the log is written here in bulk afterwards:
one ``sync_scope`` row per scope (the region tree, each village, each user with
notifications) whose counter is the number of records in it, and one
``upsert`` change per record, numbered in insertion order (parents first).
"""

from sqlalchemy import insert, select

from ..extensions import db
from ..sync.models import SyncChange, SyncScope


def build_change_log(seeder):
    scopes = seeder.changes
    db.session.execute(
        insert(SyncScope.__table__),
        [{"key": key, "seq": len(entries)} for key, entries in scopes.items()],
    )
    ids = dict(db.session.execute(select(SyncScope.key, SyncScope.id)).all())
    changed_at = seeder.now

    def rows():
        for key, entries in scopes.items():
            scope_id = ids[key]
            for seq, (entity, record_id) in enumerate(entries, 1):
                yield {"scope_id": scope_id, "entity": entity, "record_id": record_id,
                       "seq": seq, "kind": "upsert", "changed_at": changed_at}

    seeder.insert(SyncChange, rows(), label="sync_changes")
