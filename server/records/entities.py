"""One declaration per synced entity: what a phone holds, and how it is written, shown
and protected.

Each domain declares its entities next to its models (``server/<domain>/entities.py``)
with :func:`declare`; sync registers them all (server/sync/entities.py, imported as the
app starts), so the registry is whole whenever the app is.
Everything that treats records by kind reads the declaration, never a list of its own:

* the REST API and sync load writes with the same schemas and call the same
  operations (``create_schema`` / ``update_schema``, ``create`` / ``update`` / ``delete``);
* the wire form is ``dump``; ``server_fields`` are set by the server only, ``immutable``
  parents never change after the record is made;
* sensitive fields are the model's sealed columns (server/common/crypto.py: an encrypted
  column type, or ``info=SECRET``), read through ``stored_as``: sealed at rest, redacted
  in audit, sealed and masked in conflicts and stored push results; a secret field (a
  full ID number) is compared, kept in a conflict and applied by its ``secrets`` keeper,
  which opens it for nobody;
* ``audience`` says who may see a record (server/scope.py :func:`can_see`) and which
  change-log scope it is written to (server/records/changelog.py);
* ``follows`` names the parent a record belongs to: it moves with its parent's village
  (a person who moves takes their files, visits, cases and card along);
* the PWA's entity map is read from these (``GET /api/v1/meta/entities``).
"""

from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from sqlalchemy import select

from ..common.crypto import encrypted_columns, sealed_columns
from .fields import parent_fields, server_fields

# Who may see a record, and the change-log scope it is written to.
VILLAGE = "village"  # whoever serves the record's village (its ``village_id``)
REGIONS = "regions"  # the region tree: each user their own subtree and its ancestors
OWNER = "owner"  # one user's own records (a notification): its ``user_id``
COUNTY = "county"  # everyone in the county: what the bureau publishes (its policies)

# Kept by the server on every synced record; never a field a phone writes.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "deleted_at"})


@dataclass(frozen=True)
class Entity:
    name: str  # on the wire (SYNC.md "Entities on the wire")
    model: Any
    dump: Any  # schema instance: the wire form, also what lists show
    create_schema: Any = None  # schema classes, shared by REST and sync
    update_schema: Any = None
    create: Any = None  # (values, actor) -> record
    update: Any = None  # (record, changes, actor) -> changed fields
    delete: Any = None  # (record, actor)
    # fields a phone may send with a record but the server sets itself, and parent
    # references (sent with a new record, never changed afterwards): read from the
    # model's columns (server/records/fields.py) unless given
    server_fields: tuple | None = None
    immutable: tuple | None = None
    audience: str = VILLAGE
    # (parent entity, column naming it): the record moves with its parent
    follows: tuple | None = None
    # (parents, actor): what new parent records come with (new people's visit tasks),
    # made for all of them at once
    made_with_parents: Any = None
    # {secret wire field: its keeper}: sync compares, keeps in a conflict and applies a
    # secret (a full ID number) without showing it to anyone, through the keeper's
    # ``holds(record, value)``, ``seal(value)``, ``sealed_copy(record)`` and
    # ``opened_to_apply(sealed)`` (server/beneficiaries/identity.py)
    secrets: dict = field(default_factory=dict)
    # wire fields kept in other columns: {wire field: the column whose version and audit
    # entries tell when it last changed}
    stored_as: dict = field(default_factory=dict)
    # many creates at once: (list of values, actor) -> per item the record or the
    # ApiError that refused it; nothing is written for a refused item
    create_many: Any = None
    # (records) -> what their dump reads besides them, loaded at once; keep it meanwhile
    preload: Any = None

    def __post_init__(self):
        if self.server_fields is None:
            object.__setattr__(self, "server_fields", server_fields(self.model, self.dump))
        if self.immutable is None:
            object.__setattr__(self, "immutable", parent_fields(self.model))

    @property
    def writable(self):
        return self.create is not None

    def create_loader(self):
        return _schema(self.create_schema)

    def update_loader(self):
        return _schema(self.update_schema)

    def holds(self, record, name, value):
        """Whether ``record`` already holds ``value`` (a phone's) in wire field ``name``."""
        keeper = self.secrets.get(name)
        if keeper is not None:
            return keeper.holds(record, value)
        return getattr(record, name) == value

    def column_of(self, name):
        return self.stored_as.get(name, name)

    def field_version(self, record, name):
        """The version that last changed wire field ``name``."""
        return (record.field_versions or {}).get(self.column_of(name), 1)

    @cached_property
    def sealed_fields(self):
        """Wire fields never stored in clear outside the record: kept in a sealed column."""
        sealed = sealed_columns(self.model.__table__)
        return frozenset(name for name in self.dump.dump_fields if self.column_of(name) in sealed)

    @cached_property
    def secret_fields(self):
        """Sealed wire fields not shown even to staff who may see the record (a full ID
        number): kept in a secret column, not readable content of an encrypted one."""
        readable = encrypted_columns(self.model.__table__)
        return frozenset(name for name in self.sealed_fields
                         if self.column_of(name) not in readable)

    @cached_property
    def sensitive(self):
        """Whether any column of the record is encrypted: its wire text is sealed too."""
        return bool(encrypted_columns(self.model.__table__))

    @cached_property
    def phone_fields(self):
        """The fields a phone may send: the write schemas' fields, less the server's."""
        names = []
        for schema_class in (self.create_schema, self.update_schema):
            if schema_class is None:
                continue
            for name, schema_field in _schema(schema_class).load_fields.items():
                key = schema_field.data_key or name
                if key not in BOOKKEEPING and key not in self.server_fields and key not in names:
                    names.append(key)
        return tuple(names)


@cache
def _schema(schema_class):
    """One instance per schema class: building a marshmallow schema copies every field,
    which cost more than loading a mutation with it."""
    return schema_class()


_declared = {}


def declare(entity):
    """Register ``entity`` (once, by its domain); returns it."""
    if _declared.get(entity.name, entity) is not entity:
        raise ValueError(f"entity {entity.name!r} is declared twice")
    _declared[entity.name] = entity
    return entity


def registry():
    """{name: Entity} of every declared entity, in declaration order."""
    return _declared


def of_record(record):
    """The declaration of ``record``'s entity, or None for a record phones never hold."""
    name = getattr(record, "wire_entity", "")
    if not name:
        return None
    entity = _declared.get(name)
    if entity is None:  # a write phones would never hear of: fail, never skip the log
        raise LookupError(f"entity {name!r} is not declared (import server.sync.entities)")
    return entity


def followers(parent_name):
    """The entities whose records belong to a record of ``parent_name``."""
    return [entity for entity in _declared.values()
            if entity.follows is not None and entity.follows[0] == parent_name]


def dependants(parent_name, parent_ids):
    """Selects of every record belonging, directly or through another, to the records of
    ``parent_name`` whose ids ``parent_ids`` (a list or a select) gives."""
    statements = []
    for entity in followers(parent_name):
        column = getattr(entity.model, entity.follows[1])
        statements.append(select(entity.model).where(column.in_(parent_ids)))
        statements += dependants(entity.name, select(entity.model.id).where(column.in_(parent_ids)))
    return statements


def made_with(parent, actor):
    """Make what a new ``parent`` comes with (its followers' ``made_with_parents``)."""
    made_with_many([parent], actor)


def made_with_many(parents, actor):
    """:func:`made_with` for many new records of one entity: one path whether a person
    is registered by hand, by sync or by a roster import of 118,000."""
    entity = of_record(parents[0]) if parents else None
    for follower in followers(entity.name) if entity is not None else ():
        if follower.made_with_parents is not None:
            follower.made_with_parents(parents, actor)
