"""Records on the wire, fast: the entity's marshmallow schema, compiled once.

A first pull dumps thousands of records; marshmallow spends most of each dump
finding the value and deciding what to do with it, per field, every time. The
compiled dumper makes those decisions once per schema: which attribute feeds
which key, and which field's ``_serialize`` turns it into JSON (skipped where
the value is already JSON: text, whole numbers, booleans). The output is the
schema's own ``dump`` output (tests/test_seed.py compares the two over the whole
demo county). Schemas with dump hooks are not compiled: their ``dump`` is used.
"""

import datetime as dt
import hashlib
import json
import uuid
from functools import cache

from marshmallow import fields, missing
from sqlalchemy import select
from sqlalchemy.orm import defer

from ..common.crypto import open_text, seal_text
from ..extensions import db
from .entities import COUNTY, VILLAGE, of_record, registry

_MISSING = object()


def _plain(field):
    """A function from a stored value to its wire value, for a value that is not None."""
    if isinstance(field, fields.Nested):
        nested = dumper(field.schema)
        if field.many or field.schema.many:
            return lambda values: [nested(value) for value in values]
        return nested
    if isinstance(field, fields.UUID):
        return str
    if type(field) in (fields.Date, fields.DateTime) and (field.format or "iso") == "iso":
        return lambda value: value.isoformat() if isinstance(value, dt.date) else (
            field._serialize(value, None, None))
    if type(field) is fields.String:
        return lambda value: value if type(value) is str else field._serialize(value, None, None)
    if type(field) is fields.Integer and not field.as_string:
        return lambda value: value if type(value) is int else field._serialize(value, None, None)
    if type(field) is fields.Boolean:
        return lambda value: value if type(value) is bool else field._serialize(value, None, None)
    if type(field) is fields.List and isinstance(field.inner, fields.UUID):
        return lambda values: [str(v) if isinstance(v, uuid.UUID) else field.inner._serialize(
            v, None, None) for v in values]
    return lambda value: field._serialize(value, None, None)


@cache
def dumper(schema):
    """``record -> dict``, equal to ``schema.dump(record)``."""
    if any(schema._hooks.get(hook) for hook in ("pre_dump", "post_dump")) or schema.many:
        return schema.dump
    plan, computed = [], []
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        if isinstance(field, (fields.Method, fields.Function)):
            computed.append((len(plan), key, field))
            plan.append((key, None, None))
        else:
            plan.append((key, field.attribute or name, _plain(field)))

    def dump(record):
        out = {}
        mapping = isinstance(record, dict)  # a nested JSON value (a visit's location)
        for key, attribute, convert in plan:
            if attribute is None:
                out[key] = None  # keeps the schema's key order; filled in below
                continue
            value = (record.get(attribute, _MISSING) if mapping
                     else getattr(record, attribute, _MISSING))
            if value is _MISSING:
                continue
            out[key] = None if value is None else convert(value)
        for _, key, field in computed:
            value = field.serialize(key, record)
            if value is missing:
                del out[key]
            else:
                out[key] = value
        return out

    return dump


# --- changes stored as the pull sends them ---------------------------------------------
#
# The writing transaction stores each upsert's wire text in its sync_change row, so
# a pull answers with one SELECT and no dumping. Only entities whose wire form is
# the record alone are stored: not regions and notifications (who sees them is not
# their village) nor contact cards (their wire form reads the beneficiary's name).
# Health data is sealed like its columns. The format's fingerprint is stored with
# the text: after a change of any wire schema, rows of the old format are dumped at
# pull time until `flask sync rebuild-wire` remakes them.

WIRE_FORMAT = 1


def _stable(schema):
    """A description of a schema's wire form that changes whenever the form does."""
    parts = []
    for name, field in schema.dump_fields.items():
        part = [field.data_key or name, field.attribute or name, type(field).__name__,
                getattr(field, "format", None)]
        if isinstance(field, fields.Nested):
            part.append(_stable(field.schema))
        if isinstance(field, fields.List):
            part.append(type(field.inner).__name__)
        parts.append(part)
    return parts


def _has_computed_fields(schema):
    return any(isinstance(f, (fields.Method, fields.Function))
               or isinstance(f, fields.Nested) and _has_computed_fields(f.schema)
               for f in schema.dump_fields.values())


def stored_format(entity):
    """The fingerprint stored wire text of ``entity`` carries, or None: not stored."""
    return _format_of(entity.name)


@cache
def _format_of(name):
    entity = registry()[name]
    # only what everyone who pulls it may see: a village's records, the county's policies
    if entity.audience not in (VILLAGE, COUNTY) or _has_computed_fields(entity.dump):
        return None
    description = json.dumps([WIRE_FORMAT, entity.name, _stable(entity.dump)], default=str)
    return hashlib.sha256(description.encode()).hexdigest()[:16]


def load_records(entity, record_ids):
    """The records of ``entity`` with these ids, read to be sent: by the 900 (SQLite
    takes only so many parameters), per-field versions left unread (never sent)."""
    model, records = entity.model, []
    for start in range(0, len(record_ids), 900):
        records += db.session.scalars(
            select(model).where(model.id.in_(record_ids[start:start + 900]))
            .options(defer(model.field_versions, raiseload=True))).all()
    return records


def upsert_text(entity, record):
    """The upsert of ``record`` as a pull sends it: JSON text."""
    return _upsert_text(entity, record.id, record.version, dumper(entity.dump)(record))


def _upsert_text(entity, record_id, version, data):
    return json.dumps({"entity": entity.name, "record_id": str(record_id), "op": "upsert",
                       "version": version, "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def stored_wire(record):
    """(text, format) to store with ``record``'s upsert, or (None, None)."""
    entity = of_record(record)
    wire_format = stored_format(entity) if entity is not None else None
    if wire_format is None:
        return None, None
    return _stored(entity, upsert_text(entity, record)), wire_format


def stored_wire_of_values(entity, values):
    """:func:`stored_wire` of the record of ``entity`` whose column values, as it loads,
    are the dict ``values`` (every column the wire form reads): a bulk load's row."""
    wire_format = stored_format(entity)
    if wire_format is None:
        return None, None
    text = _upsert_text(entity, values["id"], values["version"], dumper(entity.dump)(values))
    return _stored(entity, text), wire_format


def _stored(entity, text):
    return seal_text(text) if entity.sensitive else text


def open_wire(text):
    """Stored wire text as sent: sealed text (health data) is opened."""
    return text if text.startswith("{") else open_text(text)
