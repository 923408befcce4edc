"""Filling the change log's stored wire text (see server/records/wire.py).

Writes through server/records/versioning.py store it themselves. Rows written
another way (the demo seed's bulk load) or made before a change of a wire schema
lack it or carry an old format; pulls answer those from the records, correctly
but slower. :func:`rebuild_wire` remakes them: in batches, each committed, safe
beside live writers (a row whose number moved since it was read is left to the
writer that moved it).
"""

from sqlalchemy import Integer, String, Text, Uuid, and_, bindparam, or_, select, update

from ..extensions import db
from ..records.models import SyncChange
from ..records.wire import load_records, stored_format, stored_wire
from .entities import registry

BATCH = 2000

_STORE = update(SyncChange).where(
    SyncChange.scope_id == bindparam("s", type_=Integer),
    SyncChange.entity == bindparam("e", type_=String),
    SyncChange.record_id == bindparam("r", type_=Uuid),
    SyncChange.seq == bindparam("q"),  # unchanged since read: no writer came in between
).values(wire=bindparam("w", type_=Text), wire_format=bindparam("f", type_=String))


def rebuild_wire(batch=BATCH, echo=None):
    """Store the wire text of every upsert row lacking it in today's format; returns
    how many rows were written."""
    written = 0
    for name, entity in registry().items():
        wire_format = stored_format(entity)
        if wire_format is None:
            continue
        after = None
        while True:
            statement = select(SyncChange.scope_id, SyncChange.record_id, SyncChange.seq).where(
                SyncChange.entity == name, SyncChange.kind == "upsert",
                or_(SyncChange.wire.is_(None), SyncChange.wire_format != wire_format),
            )
            if after is not None:
                statement = statement.where(or_(
                    SyncChange.scope_id > after[0],
                    and_(SyncChange.scope_id == after[0], SyncChange.record_id > after[1])))
            rows = db.session.execute(statement.order_by(
                SyncChange.scope_id, SyncChange.record_id).limit(batch)).all()
            if not rows:
                break
            after = (rows[-1].scope_id, rows[-1].record_id)
            records = {record.id: record
                       for record in load_records(entity, [r.record_id for r in rows])}
            values = []
            for row in rows:
                record = records.get(row.record_id)
                if record is None or record.deleted_at is not None:
                    continue
                text, _ = stored_wire(record)
                values.append({"s": row.scope_id, "e": name, "r": row.record_id, "q": row.seq,
                               "w": text, "f": wire_format})
            if values:
                db.session.connection().execute(_STORE, values)
            db.session.commit()
            written += len(values)
            if echo:
                echo(f"{name}: {written:,}")
    return written
