"""The sync contract of SYNC.md, server side."""

import gzip
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from server.beneficiaries.models import Beneficiary
from server.extensions import db
from server.records.models import AuditEntry
from server.sync.models import SyncClient, SyncConflict
from server.visits.models import VisitTask
from tests import factories
from tests.sync_helpers import Phone, new_beneficiary_data


def phone_for(client, auth_headers, username="liaison1", **kwargs):
    return Phone(client, auth_headers(username), **kwargs)


def test_push_creates_records_and_answers_per_mutation(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    record_id = uuid.uuid4()
    response = phone.push([phone.mutation("beneficiary", record_id, new_beneficiary_data(county.regions["V11"]))])
    assert response.status_code == 200
    assert response.json == {"last_mutation_id": 1, "results": [
        {"id": 1, "status": "applied", "record_id": str(record_id), "version": 1}]}
    assert db.session.get(Beneficiary, record_id).name == "张三"


def test_retried_push_is_not_applied_twice(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    mutation = phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))
    first = phone.push([mutation])
    again = phone.push([mutation])
    assert again.status_code == 200
    assert again.json["results"] == [{**first.json["results"][0], "replayed": True}]
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 1


def test_partly_replayed_batch(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    m1 = phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))
    phone.push([m1])
    m2 = phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"], name="李四"))
    response = phone.push([m1, m2])
    assert [r.get("replayed", False) for r in response.json["results"]] == [True, False]
    assert response.json["last_mutation_id"] == 2


def test_a_gap_processes_nothing_and_answers_409(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    phone.next_id = 3
    response = phone.push([phone.mutation("beneficiary", uuid.uuid4(),
                                          new_beneficiary_data(county.regions["V11"]))])
    assert response.status_code == 409
    assert response.json["last_mutation_id"] == 0
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 0


def test_a_rejected_mutation_does_not_block_the_queue(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    bad = phone.mutation("beneficiary", uuid.uuid4(),
                         new_beneficiary_data(county.regions["V11"], id_number="510822196005040010"))
    good = phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))
    response = phone.push([bad, good])
    results = response.json["results"]
    assert results[0]["status"] == "rejected"
    assert results[0]["errors"] == {"id_number": ["身份证号校验位不正确"]}
    assert results[1]["status"] == "applied"
    assert response.json["last_mutation_id"] == 2


def test_out_of_scope_mutation_is_rejected(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    response = phone.push([phone.mutation("beneficiary", uuid.uuid4(),
                                          new_beneficiary_data(county.regions["V21"]))])
    assert response.json["results"][0]["status"] == "rejected"
    assert response.json["results"][0]["errors"] == {"village_id": ["不在您的管辖范围内"]}


def test_unknown_entity_is_rejected_not_fatal(client, auth_headers):
    phone = phone_for(client, auth_headers)
    response = phone.push([phone.mutation("spaceship", uuid.uuid4(), {})])
    assert response.json["results"][0]["status"] == "rejected"


def test_client_id_belongs_to_its_first_user(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    phone.push([phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))])
    thief = phone_for(client, auth_headers, "liaison2", client_id=phone.client_id)
    thief.next_id = 2
    response = thief.push([thief.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V12"]))])
    assert response.status_code == 403
    pulled = client.get("/api/v1/sync/pull", headers={**auth_headers("liaison2"), "X-Client-Id": phone.client_id})
    assert pulled.status_code == 403
    install = db.session.get(SyncClient, phone.client_id)
    assert install.user_id == county.users["liaison1"] and install.last_pull_at is None

    phone.pull()  # the owner's pull is recorded
    db.session.expire_all()
    assert db.session.get(SyncClient, phone.client_id).last_pull_at is not None


def test_oversize_pushes_are_413(client, auth_headers):
    phone = phone_for(client, auth_headers)
    many = [phone.mutation("beneficiary", uuid.uuid4(), {}) for _ in range(501)]
    assert phone.push(many).status_code == 413
    huge = client.post("/api/v1/sync/push", data=b"x" * (5 * 1024 * 1024 + 10),
                       content_type="application/json", headers=auth_headers("liaison1"))
    assert huge.status_code == 413


def test_database_fault_is_503_and_advances_nothing(client, auth_headers, county, monkeypatch):
    from server.beneficiaries import operations

    phone = phone_for(client, auth_headers)

    def database_down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(operations, "create_beneficiary", database_down)
    response = phone.push([phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))])
    assert response.status_code == 503
    client_row = db.session.get(SyncClient, phone.client_id)
    assert client_row is None or client_row.last_mutation_id == 0


def test_envelope_errors_are_problem_json(client, auth_headers):
    response = client.post("/api/v1/sync/push", json={"mutations": []}, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"]["client_id"] == ["此项必填"]


def test_sync_changes_are_audited_with_the_client(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    record_id = uuid.uuid4()
    phone.push([phone.mutation("beneficiary", record_id, new_beneficiary_data(county.regions["V11"]))])
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.record_id == str(record_id))).one()
    assert entry.action == "create"
    assert entry.username == "liaison1"
    assert entry.client_id == phone.client_id


# --- field-level merge -------------------------------------------------------------------

def test_edits_of_different_fields_are_merged(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    staff = client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"address": "二组 3 号"},
                         headers=auth_headers("township1"))
    assert staff.json["version"] == 2
    response = phone.push([phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13911112222"},
                                          base_version=1)])
    assert response.json["results"][0]["status"] == "merged"
    assert response.json["results"][0]["version"] == 3
    record = db.session.get(Beneficiary, dummy_beneficiary.id)
    assert (record.phone, record.address) == ("13911112222", "二组 3 号")


def test_same_field_changed_differently_is_a_stored_conflict(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"phone": "13700000000"},
                 headers=auth_headers("township1"))
    response = phone.push([phone.mutation("beneficiary", dummy_beneficiary.id,
                                          {"phone": "13911112222", "address": "三组"}, base_version=1)])
    result = response.json["results"][0]
    assert result["status"] == "conflict"
    assert result["fields"] == ["phone"]
    assert result["server"]["phone"] == "13700000000"
    record = db.session.get(Beneficiary, dummy_beneficiary.id)
    assert record.phone == "13700000000" and record.address == "一组 12 号"  # nothing applied
    conflict = db.session.scalars(select(SyncConflict)).one()
    assert conflict.fields == {"phone": {"mine": "13911112222", "server": "13700000000"}}


def test_same_value_on_both_sides_is_no_conflict(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"phone": "13700000000"},
                 headers=auth_headers("township1"))
    response = phone.push([phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13700000000"},
                                          base_version=1)])
    assert response.json["results"][0]["status"] == "merged"


def test_staff_resolve_a_conflict_and_the_phone_receives_it(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    phone.pull_all()
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"phone": "13700000000"},
                 headers=auth_headers("township1"))
    phone.push([phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13911112222"}, base_version=1)])
    listed = client.get("/api/v1/sync/conflicts", headers=auth_headers("township1")).json
    assert len(listed) == 1
    assert client.get("/api/v1/sync/conflicts", headers=auth_headers("township2")).json == []
    assert client.get("/api/v1/sync/conflicts", headers=auth_headers("liaison1")).status_code == 403
    resolved = client.post(f"/api/v1/sync/conflicts/{listed[0]['id']}/resolve",
                           json={"choices": {"phone": "mine"}}, headers=auth_headers("township1"))
    assert resolved.status_code == 200
    assert resolved.json["resolved_at"]
    phone.pull_all()
    assert phone.records[("beneficiary", str(dummy_beneficiary.id))]["phone"] == "13911112222"
    assert phone.records[("beneficiary", str(dummy_beneficiary.id))]["version"] == 3
    assert client.get("/api/v1/sync/conflicts", headers=auth_headers("township1")).json == []


# --- pull --------------------------------------------------------------------------------

def test_first_pull_is_a_paged_snapshot_of_the_scope(client, auth_headers, county, user):
    for index in range(7):
        factories.beneficiary(county.regions["V11"], user("admin"), name=f"本村{index}")
    factories.beneficiary(county.regions["V21"], user("admin"), name="外村")
    phone = phone_for(client, auth_headers)
    pages = []
    pages.append(phone.pull(limit=3))
    while pages[-1]["has_more"]:
        pages.append(phone.pull(limit=3))
    assert len(pages) >= 3
    names = {data["name"] for (entity, _), data in phone.records.items() if entity == "beneficiary"}
    assert names == {f"本村{i}" for i in range(7)}
    regions = {data["name"] for (entity, _), data in phone.records.items() if entity == "region"}
    assert regions == {"测试县", "一号镇", "一号镇甲村"}
    for page in pages:
        keys = [(c["entity"], c["record_id"]) for c in page["changes"]]
        assert len(keys) == len(set(keys))
    masked = [d["id_number"] for (e, _), d in phone.records.items() if e == "beneficiary"]
    assert masked and all(n[4:] == "*" * 14 for n in masked)


def test_incremental_pull_brings_changes_and_tombstones(client, auth_headers, dummy_beneficiary, county, user):
    phone = phone_for(client, auth_headers)
    phone.pull_all()
    assert phone.pull()["changes"] == []
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"address": "新址"},
                 headers=auth_headers("township1"))
    body = phone.pull()
    assert [(c["op"], c["data"]["address"]) for c in body["changes"]] == [("upsert", "新址")]
    client.delete(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", headers=auth_headers("township1"))
    body = phone.pull()
    assert body["changes"] == [{"entity": "beneficiary", "record_id": str(dummy_beneficiary.id),
                                "op": "delete", "version": 3, "reason": "deleted"}]


def test_a_record_that_moves_away_leaves_as_out_of_scope(client, auth_headers, dummy_beneficiary, county):
    phone = phone_for(client, auth_headers)
    phone.pull_all()
    other = phone_for(client, auth_headers, "liaison3")
    other.pull_all()
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"village_id": str(county.regions["V21"])},
                 headers=auth_headers("county1"))
    body = phone.pull()
    # the month's visit task, made when the person was registered, moves with them
    task = str(db.session.scalar(select(VisitTask.id).where(VisitTask.beneficiary_id == dummy_beneficiary.id)))
    assert body["changes"] == [
        {"entity": "visit_task", "record_id": task, "op": "delete", "version": 1, "reason": "out_of_scope"},
        {"entity": "beneficiary", "record_id": str(dummy_beneficiary.id),
         "op": "delete", "version": 2, "reason": "out_of_scope"},
    ]
    assert str(dummy_beneficiary.id) in {c["record_id"] for c in other.pull()["changes"] if c["op"] == "upsert"}


def test_township_officer_sees_a_move_inside_the_township_once(client, auth_headers, dummy_beneficiary, county):
    phone = phone_for(client, auth_headers, "township1")
    phone.pull_all()
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"village_id": str(county.regions["V12"])},
                 headers=auth_headers("county1"))
    changes = phone.pull()["changes"]
    task = str(db.session.scalar(select(VisitTask.id).where(VisitTask.beneficiary_id == dummy_beneficiary.id)))
    assert [(c["op"], c["record_id"]) for c in changes] == [("upsert", str(dummy_beneficiary.id)), ("upsert", task)]


def test_reassigned_liaison_gets_a_reset(client, auth_headers, dummy_beneficiary, other_beneficiary, county, user):
    phone = phone_for(client, auth_headers)
    phone.pull_all()
    assert str(dummy_beneficiary.id) in phone.ids("beneficiary")
    liaison = user("liaison1")
    liaison.region_id = county.regions["V21"]
    db.session.commit()
    body = phone.pull()
    assert body["reset"] is True
    assert phone.ids("beneficiary") == {str(other_beneficiary.id)}


def test_unreadable_cursor_resets(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    phone.cursor = "not-a-cursor"
    body = phone.pull()
    assert body["reset"] is True
    assert str(dummy_beneficiary.id) in phone.ids("beneficiary")


def test_a_cursor_older_than_the_tombstones_resets(client, auth_headers, dummy_beneficiary):
    """Its age is read by the app's clock, the one the purge of old tombstones reads."""
    from tests.clock import APP_CLOCK, DEFAULT_NOW

    phone = phone_for(client, auth_headers)
    phone.pull_all()
    issued = phone.cursor
    APP_CLOCK.set(DEFAULT_NOW + timedelta(days=179))
    phone.headers = auth_headers("liaison1")  # a login session of that day
    assert phone.pull()["reset"] is False
    APP_CLOCK.set(DEFAULT_NOW + timedelta(days=181))
    phone.headers, phone.cursor = auth_headers("liaison1"), issued
    body = phone.pull()
    assert body["reset"] is True
    assert str(dummy_beneficiary.id) in phone.ids("beneficiary")


def test_pull_reports_last_mutation_id(client, auth_headers, county):
    phone = phone_for(client, auth_headers)
    phone.push([phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))])
    assert phone.pull()["last_mutation_id"] == 1


def test_pull_is_gzipped_when_accepted(client, auth_headers, county, user):
    for index in range(20):
        factories.beneficiary(county.regions["V11"], user("admin"), name=f"人{index}")
    response = client.get("/api/v1/sync/pull", headers={**auth_headers("liaison1"), "Accept-Encoding": "gzip",
                                                        "X-Client-Id": "gzip-client-1"})
    assert response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.get_data()))
    assert len([c for c in body["changes"] if c["entity"] == "beneficiary"]) == 20


def test_stale_devices_with_unsent_records(client, auth_headers, county):
    from datetime import timedelta

    from server.common.timeutil import utcnow

    phone = phone_for(client, auth_headers)
    phone.push([], outbox_size=12)
    row = db.session.get(SyncClient, phone.client_id)
    row.last_push_at = utcnow() - timedelta(days=4)
    db.session.commit()
    listed = client.get("/api/v1/sync/devices", headers=auth_headers("township1")).json
    assert [(d["client_id"], d["outbox_size"], d["username"]) for d in listed] == [(phone.client_id, 12, "liaison1")]
    assert client.get("/api/v1/sync/devices", headers=auth_headers("township2")).json == []


def test_listing_another_areas_photo_does_not_open_it(client, auth_headers, county, user, other_beneficiary,
                                                      dummy_beneficiary, today):
    import hashlib

    photo = factories.image_bytes("JPEG")
    photo_id = uuid.uuid4()
    put = client.put(f"/api/v1/attachments/{photo_id}", data=photo, content_type="image/jpeg",
                     headers={**auth_headers("liaison3"), "X-Content-SHA256": hashlib.sha256(photo).hexdigest()})
    assert put.status_code == 201
    visit = {"beneficiary_id": str(dummy_beneficiary.id), "visit_type": "monthly",
             "visited_on": today.isoformat(), "summary": "走访", "photo_ids": [str(photo_id)]}
    response = client.post("/api/v1/visits", json=visit, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {"photo_ids": ["照片不存在"]}
    assert client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("liaison1")).status_code == 404
    other_bytes = client.put(f"/api/v1/attachments/{photo_id}", data=photo + b"x", content_type="image/jpeg",
                             headers={**auth_headers("liaison1"),
                                      "X-Content-SHA256": hashlib.sha256(photo + b"x").hexdigest()})
    assert other_bytes.status_code == 404


def test_a_pulls_stamp_does_not_wait_for_the_disk(client, auth_headers, county, user):
    """PostgreSQL: the pull's telemetry commits without waiting for the disk (a crash may
    lose a timestamp); that setting is the pull's transaction's only."""
    from sqlalchemy import text

    from server.errors import Forbidden
    from server.records.models import SyncScope
    from server.sync import pull as pull_module

    if db.engine.dialect.name != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    phone = phone_for(client, auth_headers)
    phone.push([phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"]))])
    savepoint = db.session.begin_nested()
    last, scope_ids, _regions = pull_module._open(phone.client_id, user("liaison1"))
    assert last == 1
    theirs = pull_module.scope_keys(user("liaison1"))  # read by the same statement
    assert sorted(scope_ids) == sorted(db.session.scalars(
        select(SyncScope.id).where(SyncScope.key.in_(theirs))))
    assert db.session.scalar(text("SHOW synchronous_commit")) == "off"
    with pytest.raises(Forbidden):  # not theirs: nothing written
        pull_module._open(phone.client_id, user("liaison2"))
    savepoint.rollback()
