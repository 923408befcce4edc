"""The change log stores each upsert as pulls send it (server/records/wire.py): kept
current by every write, sealed for health data, and never trusted when its format
is not today's."""

import json
import uuid

from sqlalchemy import select, update

from server.extensions import db
from server.health.models import HealthFile
from server.records.models import SyncChange
from server.records.wire import open_wire, stored_format, upsert_text
from server.sync.entities import registry
from server.sync.rebuild import rebuild_wire
from server.visits.models import VisitTask
from tests.factories import row
from tests.sync_helpers import Phone, assert_stored_wire_is_current


def change_row(record_id):
    return db.session.execute(select(SyncChange).where(
        SyncChange.record_id == uuid.UUID(str(record_id)), SyncChange.kind == "upsert")
    ).scalar_one()


def health_file(client, headers, beneficiary, conditions="高血压，糖尿病"):
    response = client.put(f"/api/v1/beneficiaries/{beneficiary.id}/health-file", headers=headers,
                          json={"conditions": conditions})
    assert response.status_code == 201, response.json
    return response.json


def test_every_write_stores_what_a_pull_sends(client, auth_headers, dummy_beneficiary, today):
    headers = auth_headers("liaison1")
    visit = client.post("/api/v1/visits", headers=headers, json={
        "beneficiary_id": str(dummy_beneficiary.id), "visit_type": "monthly",
        "visited_on": today.isoformat(), "summary": "身体尚好"}).json
    client.patch(f"/api/v1/visits/{visit['id']}", headers=headers, json={"summary": "已复查"})
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", headers=auth_headers("county1"),
                 json={"address": "三组"})
    db.session.commit()

    stored = json.loads(open_wire(change_row(visit["id"]).wire))
    assert stored["data"]["summary"] == "已复查" and stored["version"] == 2
    assert json.loads(open_wire(change_row(dummy_beneficiary.id).wire))["data"]["address"] == "三组"
    assert assert_stored_wire_is_current() >= 2

    phone = Phone(client, headers)
    phone.pull_all()
    assert phone.records[("visit", visit["id"])]["summary"] == "已复查"


def test_health_data_is_stored_sealed(client, auth_headers, dummy_beneficiary):
    made = health_file(client, auth_headers("liaison1"), dummy_beneficiary)
    db.session.commit()
    stored = change_row(made["id"]).wire
    assert "高血压" not in stored and not stored.startswith("{")
    assert json.loads(open_wire(stored))["data"]["conditions"] == "高血压，糖尿病"
    phone = Phone(client, auth_headers("liaison1"))
    phone.pull_all()
    assert phone.records[("health_file", made["id"])]["conditions"] == "高血压，糖尿病"


def test_text_of_another_format_is_not_sent_and_is_rebuilt(client, auth_headers, dummy_beneficiary):
    """After a wire schema changes, old text must not reach phones: a pull dumps the
    record instead, and rebuild-wire stores it anew."""
    made = health_file(client, auth_headers("liaison1"), dummy_beneficiary, conditions="痛风")
    db.session.execute(update(SyncChange).where(SyncChange.record_id == uuid.UUID(made["id"]))
                       .values(wire='{"stale":true}', wire_format="0000000000000000"))
    db.session.execute(update(SyncChange).where(SyncChange.record_id == dummy_beneficiary.id)
                       .values(wire=None, wire_format=None))
    db.session.commit()

    phone = Phone(client, auth_headers("liaison1"))
    phone.pull_all()
    assert phone.records[("health_file", made["id"])]["conditions"] == "痛风"
    assert phone.records[("beneficiary", str(dummy_beneficiary.id))]["name"] == "张三"

    assert rebuild_wire() >= 2
    entity = registry()["health_file"]
    rebuilt = change_row(made["id"])
    assert rebuilt.wire_format == stored_format(entity)
    assert open_wire(rebuilt.wire) == upsert_text(entity, row(HealthFile, made["id"]))
    assert change_row(dummy_beneficiary.id).wire is not None
    assert rebuild_wire() == 0  # nothing left to do


def test_rebuild_leaves_a_row_a_writer_moved_meanwhile(client, auth_headers, dummy_beneficiary,
                                                      monkeypatch):
    """rebuild-wire stores text only where the row's number is still the one it read."""
    db.session.execute(update(SyncChange).where(SyncChange.record_id == dummy_beneficiary.id)
                       .values(wire=None, wire_format=None))
    db.session.commit()
    import server.sync.rebuild as rebuild

    real = rebuild.stored_wire

    def writer_comes_in(record):
        db.session.execute(update(SyncChange).where(SyncChange.record_id == record.id)
                           .values(seq=SyncChange.seq + 1000))
        return real(record)

    monkeypatch.setattr(rebuild, "stored_wire", writer_comes_in)
    # asked to write two rows (the person's, and their month's task's: the database
    # made the task, and its row has no stored text) …
    assert rebuild_wire() == 2
    assert change_row(dummy_beneficiary.id).wire is None  # … and the moved rows were left
    assert change_row(_task_of(dummy_beneficiary).id).wire is None


def test_entities_whose_wire_form_reads_other_records_are_not_stored():
    """A contact card shows its beneficiary's name: stored text would go stale when the
    person is renamed, so cards are dumped at pull time; regions and notifications are
    seen by rules other than the village."""
    entities = registry()
    assert {name for name, e in entities.items() if stored_format(e) is None} == {
        "region", "notification", "contact_card"}


def test_the_operator_rebuilds_from_the_command_line(runner, dummy_beneficiary):
    db.session.execute(update(SyncChange).where(SyncChange.record_id == dummy_beneficiary.id)
                       .values(wire=None, wire_format=None))
    db.session.commit()
    result = runner.invoke(args=["sync", "rebuild-wire"])
    assert result.exit_code == 0, result.output
    # the person's row, and their month's task's (made by the database without text)
    assert "已补全 2 条同步记录" in result.output
    assert change_row(dummy_beneficiary.id).wire is not None
    assert change_row(_task_of(dummy_beneficiary).id).wire is not None
    assert "已补全 0 条同步记录" in runner.invoke(args=["sync", "rebuild-wire"]).output


def _task_of(person):
    return db.session.scalars(select(VisitTask).where(VisitTask.beneficiary_id == person.id)).one()
