"""The sync change log for everything the seed wrote, so phones pull the demo county.

Records made through ``server.records.versioning`` log themselves one by one;
the seed's bulk inserts do not, so the log is written here in bulk afterwards:
one ``sync_scope`` row per scope (the region tree, each village, each user with
notifications) whose counter is the number of records in it, and one
``upsert`` change per record, numbered in insertion order (parents first),
holding the record as a pull sends it (server/records/wire.py), as a write through
versioning would.

That wire text is made from each row as it is inserted (:class:`RowWire`), not by
reading the records back: reading back half a million records (opening their
encrypted columns) and dumping them took more than half of the seed's time.
tests/test_seed.py checks the text against ``stored_wire`` of the loaded records.
"""

from datetime import UTC

from sqlalchemy import insert, select

from ..common.bulk import left_out
from ..common.models import UTCDateTime
from ..extensions import db
from ..records.models import SyncChange, SyncScope
from ..records.wire import stored_format, stored_wire_of_values


class RowWire:
    """``row -> (wire text, format)`` for rows of one bulk insert into ``table``: the
    text ``stored_wire`` gives the record the row loads as.

    A loaded record has every column: one the rows leave out has its Python default
    (which the database default matches: bulk writes leave such columns out), or
    None. Stamps come back in UTC. Every other value comes back as it went in (text,
    numbers, dates, UUIDs; JSON keeps its keys' order in a ``json`` column).
    """

    def __init__(self, entity, table, first):
        self.entity = entity
        self.stored = stored_format(entity) is not None
        read = {field.attribute or name for name, field in entity.dump.dump_fields.items()}
        unknown = read - set(table.columns.keys())
        if self.stored and unknown:
            # a dump reading a property of the model: the row does not hold it
            raise ValueError(f"{entity.name}: the wire form reads {sorted(unknown)}, "
                             "which are not columns")
        missing = [column for column in table.columns if column.key not in first]
        # a callable default (``list``) makes a value of its own for every row
        self.made = [column for column in missing
                     if column.default is not None and column.default.is_callable]
        made = {column.key for column in self.made}
        self.fixed = {column.key: left_out(column) for column in missing
                      if column.key not in made}
        self.stamps = [column.key for column in table.columns
                       if isinstance(column.type, UTCDateTime)]

    def __call__(self, row):
        if not self.stored:
            return None, None
        values = {**self.fixed, **row}
        for column in self.made:
            values[column.key] = left_out(column)
        for key in self.stamps:
            stamp = values[key]
            if stamp is not None:
                values[key] = stamp.astimezone(UTC)
        return stored_wire_of_values(self.entity, values)


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
            for seq, (entity, record_id, wire, wire_format) in enumerate(entries, 1):
                yield {"scope_id": scope_id, "entity": entity, "record_id": record_id,
                       "seq": seq, "kind": "upsert", "changed_at": changed_at,
                       "wire": wire, "wire_format": wire_format}

    seeder.insert(SyncChange, rows(), label="sync_changes")
