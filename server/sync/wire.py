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
import uuid
from functools import cache

from marshmallow import fields, missing

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
