"""A synced entity's fields, declared once: on its model's columns.

A column that is a field of its entity says so in its ``info``::

    summary: Mapped[str] = mapped_column(EncryptedText, nullable=False,
                                         info=written(required_text(4000)))

and :func:`entity_schemas` makes the entity's schemas from the columns: the wire form
(what pulls send and lists show), the create schema (what a phone or a form may send
for a new record, checked by the entity's cross-field rules) and the update schema
(the same fields, each optional, without the parents). Whether a field is sealed is
the column's type (server/common/crypto.py); which fields the server sets and which
parents never change are read from the same ``info`` by the declaration
(server/records/entities.py). So adding a field to a synced entity is one edit - its
column - plus the migration.

The kinds of field:

* :func:`written` - sent by phones and forms, loaded by the spec, shown on the wire;
* :func:`parent` - names the record's parent: sent with a new record, never changed
  (not in the update schema; a push that changes it is refused);
* :func:`by_server` - set by the server only: shown; a phone may send it back with a
  record, and it is ignored;
* :func:`shown` - shown on the wire, never written through the entity.
"""

import copy
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.schemas import SyncRecordSchema

INFO_KEY = "lianxin_field"


@dataclass(frozen=True)
class Field:
    spec: Any  # a marshmallow field: how a write loads the value
    kind: str = "written"  # written | parent | server | shown
    name: str | None = None  # the field's name when it is not the column's (id_number)
    on_update: Any = None  # how a change loads it, when not as a new record does


def written(spec, *, name=None, on_update=None):
    return {INFO_KEY: Field(spec, "written", name, on_update)}


def parent(spec):
    return {INFO_KEY: Field(spec, "parent")}


def by_server(spec):
    return {INFO_KEY: Field(spec, "server")}


def shown(spec):
    return {INFO_KEY: Field(spec, "shown")}


def declared_fields(model):
    """[(field name, column key, Field)] of ``model``'s columns, in column order."""
    out = []
    for column in model.__table__.columns:
        declared = column.info.get(INFO_KEY)
        if declared is not None:
            out.append((declared.name or column.key, column.key, declared))
    return out


def server_fields(model, wire_schema=None):
    """The fields the server sets: its columns declared :func:`by_server`, and the wire
    fields that are no column (computed, like a card's person's name)."""
    declared = declared_fields(model)
    names = [name for name, _, f in declared if f.kind == "server"]
    if wire_schema is not None:
        known = {name for name, _, _ in declared} | set(SyncRecordSchema._declared_fields)
        names += [name for name in wire_schema.dump_fields if name not in known]
    return tuple(names)


def parent_fields(model):
    return tuple(name for name, _, f in declared_fields(model) if f.kind == "parent")


_PLAIN = (fields.UUID, fields.Date, fields.DateTime, fields.Integer, fields.Float,
          fields.Boolean, fields.String)


def _shown(declared, attribute):
    """The wire form of a field: its value as the plain type it is (the loading rules -
    a past date, a phone number's spelling - are for writes)."""
    spec = declared.spec
    options = {"allow_none": spec.allow_none, "dump_only": declared.kind == "server"}
    if attribute is not None:
        options["attribute"] = attribute
    if isinstance(spec, fields.Nested):
        return fields.Nested(spec.nested, **options)
    if isinstance(spec, fields.List):
        return fields.List(copy.deepcopy(spec.inner), **options)
    if isinstance(spec, fields.Dict):
        return fields.Dict(**options)
    plain = next(kind for kind in _PLAIN if isinstance(spec, kind))
    return plain(**options)


def _rules_hook(rules):
    @validates_schema
    def _rules(self, data, **kwargs):
        errors = rules(data)
        if errors:
            raise ValidationError(errors)

    return _rules


def entity_schemas(model, *, name, rules=None, shown_extra=None, create_name=None):
    """(wire, create, update) schema classes of ``model``'s declared columns, named
    ``{name}Schema``, ``{name}CreateSchema``, ``{name}UpdateSchema`` (the OpenAPI
    document's names). ``rules(values) -> {field: [messages]}`` checks a new record
    as a whole (the operation checks a changed one, merged); ``shown_extra`` adds wire
    fields that are no column (a card's person's name)."""
    declared = declared_fields(model)
    wire = {field_name: _shown(f, column if column != field_name else None)
            for field_name, column, f in declared}
    wire.update(shown_extra or {})
    writes = {field_name: f for field_name, _, f in declared if f.kind in ("written", "parent")}
    create = {"id": fields.UUID(load_default=None),
              **{field_name: copy.deepcopy(f.spec) for field_name, f in writes.items()}}
    if rules is not None:
        create["_rules"] = _rules_hook(rules)
    update = {field_name: copy.deepcopy(f.on_update or f.spec) for field_name, f in writes.items()
              if f.kind == "written"}

    def _partial(self, *args, **kwargs):
        SyncRecordSchema.__init__(self, *args, partial=True, **kwargs)

    update["__init__"] = _partial
    update["Meta"] = type("Meta", (), {"exclude": ("id",)})
    return (type(f"{name}Schema", (SyncRecordSchema,), wire),
            type(create_name or f"{name}CreateSchema", (SyncRecordSchema,), create),
            type(f"{name}UpdateSchema", (SyncRecordSchema,), update))
