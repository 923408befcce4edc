"""The architecture's promises (docs/architecture.md), checked on the code and the data.

* imports go one way: no cycle anywhere in ``server`` (the layer contracts themselves
  are import-linter's, run by ``make lint``);
* one declaration per synced entity (server/records/entities.py): the PWA's entity map
  is the declarations', every column of a synced record is on the wire or sealed, and
  a field added to a declaration reaches every place derived from it;
* every sensitive field is sealed everywhere, walked from the declarations over a
  seeded county: at rest, in the change log, in audit entries, in conflict rows.
"""

import json
import pathlib
import uuid
from dataclasses import replace
from types import SimpleNamespace

import grimp
import pytest
from marshmallow import ValidationError, fields
from sqlalchemy import Column, MetaData, String, Table, Text, Uuid, select
from sqlalchemy import text as sql

from server.common.crypto import SECRET, EncryptedText, decrypt, encrypted_columns, sealed_columns
from server.common.schemas import required_text, text
from server.extensions import db
from server.records.entities import BOOKKEEPING, Entity
from server.records.fields import (
    by_server,
    entity_schemas,
    parent,
    shown,
    written,
)
from server.records.models import AuditEntry, SyncChange
from server.records.versioning import REDACTED, update_record
from server.sync.entities import registry
from server.sync.entity_map import entity_map, render
from server.sync.protect import HIDDEN, conflict_fields, open_conflict_fields

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_no_module_of_the_server_imports_itself_round_about():
    graph = grimp.build_graph("server")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                cycles.append(graph.find_shortest_chain(importer=imported, imported=module)
                              + (imported,))
    assert cycles == []


# --- one declaration per entity --------------------------------------------------------


def test_the_pwa_entity_map_is_the_declarations(app):
    committed = (ROOT / "pwa" / "src" / "entity-fields.json").read_text(encoding="utf-8")
    assert committed == render(), "run: .venv/bin/python pwa/scripts/entity_fields.py"
    assert list(json.loads(committed)) == list(registry())


def _wire_columns(entity):
    """The columns a wire field shows (by its attribute) or stands for (stored_as)."""
    shown = {entity.dump.dump_fields[name].attribute or name for name in entity.dump.dump_fields}
    return shown | {entity.column_of(name) for name in entity.dump.dump_fields}


@pytest.mark.parametrize("name", list(registry()))
def test_every_column_of_a_synced_record_is_on_the_wire_or_sealed(app, name):
    """A column added to a synced model but not to its wire form would never reach a phone
    (and a field a phone sends would be dropped): every column is shown, or is kept on the
    server on purpose because it is sealed, or is bookkeeping."""
    entity = registry()[name]
    table = entity.model.__table__
    kept_back = sealed_columns(table) | BOOKKEEPING | {"field_versions"}
    owner = {"user_id"} if entity.audience == "owner" else set()
    missing = {c.key for c in table.columns} - _wire_columns(entity) - kept_back - owner
    assert missing == set()
    # and whatever a phone may write, it is shown back
    assert set(entity.phone_fields) <= set(entity.dump.dump_fields)
    for field_name in entity.server_fields + entity.immutable:
        assert field_name in entity.dump.dump_fields


def _test_entity(*extra_columns):
    """A synced entity of the test's own, declared as every entity is: its fields on its
    columns (server/records/fields.py), its schemas and declaration derived (its own
    metadata: no table in the app's)."""
    table = Table("test_note", MetaData(),
                  Column("id", Uuid, primary_key=True),
                  Column("village_id", Uuid, info=by_server(fields.UUID())),
                  Column("person_id", Uuid, info=parent(fields.UUID(required=True))),
                  Column("title", String(60), info=written(required_text(60))),
                  *extra_columns)
    model = type("TestNote", (), {"__table__": table, "wire_entity": "test_note"})
    wire, create, update = entity_schemas(model, name="TestNote")
    return Entity("test_note", model, wire(), create, update, create=lambda values, actor: None)


def test_adding_a_field_is_one_edit_its_column():
    """One column added to a synced entity's model reaches every place that treats the
    entity's fields: the wire form, the create and update schemas (with its rules), what
    phones may send (the PWA's entity map), and - by its type - sealing in the change log,
    redaction in audit, sealing and hiding in conflicts."""
    before = _test_entity()
    assert before.phone_fields == ("person_id", "title")
    assert before.server_fields == ("village_id",) and before.immutable == ("person_id",)
    assert not before.sensitive and before.sealed_fields == frozenset()

    after = _test_entity(Column("diagnosis", EncryptedText,
                                info=written(text(100, allow_none=True))))
    assert "diagnosis" in after.dump.dump_fields
    assert after.phone_fields == ("person_id", "title", "diagnosis")
    assert after.create_loader().load({"person_id": str(uuid.uuid4()), "title": "记",
                                       "diagnosis": "高血压"})["diagnosis"] == "高血压"
    assert after.update_loader().load({"diagnosis": "糖尿病"}) == {"diagnosis": "糖尿病"}
    with pytest.raises(ValidationError) as refused:
        after.update_loader().load({"diagnosis": "长" * 101})
    assert "diagnosis" in refused.value.messages
    assert "person_id" not in after.update_loader().load_fields  # a parent never changes
    assert after.sensitive  # its wire text is sealed in the change log
    assert after.sealed_fields == {"diagnosis"}
    assert after.secret_fields == frozenset()  # readable by staff who see the record
    assert sealed_columns(after.model.__table__) == {"diagnosis"}  # redacted in audit
    sealed = conflict_fields(after, SimpleNamespace(diagnosis="糖尿病"), {"diagnosis": "高血压"})
    assert "高血压" not in json.dumps(sealed, ensure_ascii=False)
    assert "糖尿病" not in json.dumps(sealed, ensure_ascii=False)
    assert open_conflict_fields(sealed, after) == {
        "diagnosis": {"mine": "高血压", "server": "糖尿病"}}

    secret = _test_entity(Column("pin_hash", Text, info={**SECRET, **shown(fields.String())}))
    assert secret.secret_fields == {"pin_hash"}
    assert "pin_hash" not in secret.phone_fields
    listed = open_conflict_fields(
        conflict_fields(secret, SimpleNamespace(pin_hash="b"), {"pin_hash": "a"}), secret)
    assert listed == {"pin_hash": {"mine": HIDDEN, "server": HIDDEN}}


def test_the_map_lists_every_writable_entity_with_its_fields(app):
    mapped = entity_map()
    assert {name for name, item in mapped.items() if item["writable"]} == {
        name for name, entity in registry().items() if entity.writable}
    assert mapped["visit"]["fields"][:2] == ["beneficiary_id", "visit_type"]
    assert "review_status" not in mapped["visit"]["fields"]  # the server's own


# --- every sensitive field sealed everywhere, walked from the declarations -----------


@pytest.fixture(scope="module")
def county_app(backend, databases):
    with databases.committed_app(backend, "sealwalk", county="demo") as app:
        yield app


SENSITIVE = [name for name, entity in registry().items() if entity.sealed_fields]


def test_the_walk_covers_the_sensitive_entities():
    assert set(SENSITIVE) >= {"beneficiary", "health_file", "visit"}


def _a_record_with_every_sealed_column(entity):
    columns = sorted(sealed_columns(entity.model.__table__))
    statement = select(entity.model).where(
        *[getattr(entity.model, column).is_not(None) for column in columns]).limit(1)
    record = db.session.scalars(statement).first()
    assert record is not None, f"the demo county has no {entity.name} with every sealed field"
    return record


def _plain_values(entity, record):
    """The sensitive values as text (what must never be found in clear elsewhere): the
    encrypted columns' plain values, and a secret wire field's (a full ID number)."""
    out = {}
    if "id_number" in entity.secret_fields:
        out["id_number"] = decrypt(record.id_number_encrypted)
    for column in sorted(encrypted_columns(entity.model.__table__)):
        value = getattr(record, column)
        if value in (None, "", {}, []):
            continue
        if isinstance(value, dict):  # a visit's details: each text value must be sealed
            out.update({f"{column}.{k}": v for k, v in value.items()
                        if isinstance(v, str) and len(v) >= 4})
        elif isinstance(value, str) and len(value) >= 4:
            out[column] = value
    return out


@pytest.mark.parametrize("name", SENSITIVE)
def test_every_sealed_field_is_sealed_at_rest_and_in_the_change_log(county_app, name):
    entity = registry()[name]
    with county_app.app_context():
        record = _a_record_with_every_sealed_column(entity)
        values = _plain_values(entity, record)
        assert values
        table = entity.model.__tablename__
        raw = db.session.execute(sql(f"SELECT * FROM {table} WHERE id = :id"),
                                 {"id": record.id if db.engine.dialect.name == "postgresql"
                                  else record.id.hex}).mappings().one()
        raw_text = json.dumps({k: str(v) for k, v in raw.items()}, ensure_ascii=False)
        wire = db.session.scalars(select(SyncChange.wire).where(
            SyncChange.record_id == record.id, SyncChange.entity == name)).all()
        for label, value in values.items():
            assert value not in raw_text, f"{name}.{label} in clear at rest"
            for stored in wire:
                assert stored is None or value not in stored, f"{name}.{label} in the change log"


@pytest.mark.parametrize("name", SENSITIVE)
def test_every_sealed_field_is_redacted_in_audit_and_sealed_in_conflicts(county_app, name):
    entity = registry()[name]
    with county_app.app_context():
        record = _a_record_with_every_sealed_column(entity)
        marker = f"密{uuid.uuid4().hex[:8]}"
        changes = {c: ({"note": marker} if isinstance(getattr(record, c), dict) else marker)
                   for c in sorted(encrypted_columns(entity.model.__table__))}
        changes.update({c: marker for c in sorted(sealed_columns(entity.model.__table__))
                        if c not in changes})  # the secrets (a lookup hash) too
        assert update_record(record, changes, None)
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.record_id == str(record.id)).order_by(AuditEntry.id.desc())).first()
        assert set(entry.changes) == set(changes)
        assert marker not in json.dumps(entry.changes, ensure_ascii=False)
        assert all(pair[1] == REDACTED for pair in entry.changes.values())

        db.session.rollback()
        record = _a_record_with_every_sealed_column(entity)
        values = _plain_values(entity, record)
        clashes = {field_name: values.get(field_name, marker)
                   for field_name in entity.sealed_fields}  # a full ID number: the record's
        kept = json.dumps(conflict_fields(entity, record, clashes), ensure_ascii=False)
        for value in [marker, *values.values()]:
            assert value not in kept
        shown = open_conflict_fields(conflict_fields(entity, record, clashes), entity)
        for field_name in entity.secret_fields:  # a full ID number: hidden in lists
            assert shown[field_name] == {"mine": HIDDEN, "server": HIDDEN}
        db.session.rollback()


def test_a_declaration_with_a_sealed_column_but_no_sealed_field_is_caught():
    """The walk reads what the declaration says: a wire field named apart from its sealed
    column (stored_as missing) would not be sealed in conflicts; the declaration maps it."""
    beneficiary = registry()["beneficiary"]
    assert beneficiary.sealed_fields == {"id_number"}
    assert replace(beneficiary, stored_as={}).sealed_fields == frozenset()
