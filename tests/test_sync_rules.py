"""Contract cases of SYNC.md beyond tests/test_sync.py, through the HTTP API.

Visits and their review, deletes, merges and conflicts of the other entities,
parent fields, attachments, pull paging, notifications and read-only entities.
"""

import hashlib
import io
import json
import os
import struct
import uuid
import zlib
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from server.beneficiaries.models import Beneficiary
from server.common.timeutil import county_today
from server.extensions import db
from server.health.models import HealthFile
from server.mediation.models import MediationCase, MediationSession
from server.notifications.models import Notification
from server.notifications.operations import notify
from server.records.models import AuditEntry
from server.sync.models import SyncConflict
from server.users.operations import create_user, start_session
from server.visits.models import Attachment, Visit
from server.visits.operations import create_visit
from server.visits.photos import photo_store
from tests import factories
from tests.factories import row
from tests.sync_helpers import Phone, new_beneficiary_data

LOCKED = "已审核，不能修改"
NOT_YOUR_VISIT = "只有记录走访的联络员或民政干部可以修改"
READ_ONLY = {"entity": ["此类数据不能在手机上修改"]}
JPEG = factories.image_bytes("JPEG")


def phone_for(client, auth_headers, username="liaison1", **kwargs):
    return Phone(client, auth_headers(username), **kwargs)


def push_one(phone, *args, **kwargs):
    """Push one mutation; its result."""
    response = phone.push([phone.mutation(*args, **kwargs)])
    assert response.status_code == 200, response.get_data(as_text=True)
    (result,) = response.json["results"]
    return result


def visit_data(beneficiary_id, **overrides):
    values = {"beneficiary_id": str(beneficiary_id), "visit_type": "monthly",
              "visited_on": county_today().isoformat(), "summary": "身体尚好，春耕已准备"}
    values.update(overrides)
    return values


def new_visit(phone, beneficiary_id, **overrides):
    visit_id = uuid.uuid4()
    result = push_one(phone, "visit", visit_id, visit_data(beneficiary_id, **overrides))
    assert result["status"] == "applied", result
    return visit_id


def review(client, auth_headers, visit_id, decision, comment=None, username="township1"):
    body = {"decision": decision, **({"comment": comment} if comment else {})}
    response = client.post(f"/api/v1/visits/{visit_id}/review", json=body,
                           headers=auth_headers(username))
    assert response.status_code == 200, response.json
    return response.json


def second_liaison(county):
    """Another liaison of V11, besides liaison1; their auth headers."""
    other = create_user(username="liaison1b", password=factories.PASSWORD, role="liaison",
                        region_id=county.regions["V11"], display_name="甲村第二联络员")
    access, _ = start_session(other)
    db.session.commit()
    return {"Authorization": f"Bearer {access}"}


def pulled(phone, entity, record_id):
    return phone.records.get((entity, str(record_id)))


# --- visits through sync ---------------------------------------------------------------

def test_a_new_visit_is_applied_and_pulled_back(client, auth_headers, county, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    visit = row(Visit, visit_id)
    assert (visit.version, visit.review_status, visit.visited_on) == (1, "pending", county_today())
    assert visit.liaison_id == county.users["liaison1"]
    phone.pull_all()
    data = pulled(phone, "visit", visit_id)
    assert data["review_status"] == "pending"
    assert data["village_id"] == str(dummy_beneficiary.village_id)


def test_a_visit_dated_tomorrow_is_rejected(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = uuid.uuid4()
    tomorrow = (county_today() + timedelta(days=1)).isoformat()
    result = push_one(phone, "visit", visit_id, visit_data(dummy_beneficiary.id, visited_on=tomorrow))
    assert result == {"id": 1, "record_id": str(visit_id), "status": "rejected",
                      "errors": {"visited_on": ["不能晚于今天"]}}
    assert row(Visit, visit_id) is None


def test_a_mediation_visit_from_an_old_phone_without_its_case_is_rejected(
        client, auth_headers, dummy_beneficiary):
    """A phone from before the rule sends a 纠纷上门调解 visit with no case: the mutation is
    refused with a message in Chinese on the field (the phone keeps it, shows it and lets
    the liaison choose the case), the rest of the batch goes through, nothing is stored."""
    phone = phone_for(client, auth_headers)
    lone, fine, case_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    case = {"beneficiary_id": str(dummy_beneficiary.id), "kind": "neighbour",
            "parties": "张三与邻居李四", "description": "宅基地边界争议"}
    response = phone.push([
        phone.mutation("visit", lone, visit_data(dummy_beneficiary.id, visit_type="mediation")),
        phone.mutation("mediation_case", case_id, case),
        phone.mutation("visit", fine, visit_data(dummy_beneficiary.id, visit_type="mediation",
                                                 case_id=str(case_id))),
    ])
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["rejected", "applied", "applied"]
    assert results[0]["errors"] == {"case_id": ["纠纷上门调解须选择或新建调解案件"]}
    assert row(Visit, lone) is None
    assert row(Visit, fine).case_id == case_id
    # the same visit, its case chosen, is taken on the next push
    again = push_one(phone, "visit", lone, visit_data(
        dummy_beneficiary.id, visit_type="mediation", case_id=str(case_id)))
    assert again["status"] == "applied"


def test_server_set_visit_fields_sent_by_a_phone_are_ignored(client, auth_headers, dummy_beneficiary, user):
    phone = phone_for(client, auth_headers)
    visit_id = uuid.uuid4()
    result = push_one(phone, "visit", visit_id, visit_data(
        dummy_beneficiary.id, review_status="approved", liaison_id=user("admin").id,
        review_comment="自己批准"))
    assert result["status"] == "applied"
    visit = row(Visit, visit_id)
    assert (visit.review_status, visit.review_comment, visit.liaison_id) == (
        "pending", None, user("liaison1").id)


def test_an_approved_visit_is_locked_against_phone_edits(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    approved = review(client, auth_headers, visit_id, "approve")
    assert approved["review_status"] == "approved"
    edit = push_one(phone, "visit", visit_id, {"summary": "补记"}, base_version=approved["version"])
    assert edit["status"] == "rejected"
    assert LOCKED in str(edit["errors"])
    gone = push_one(phone, "visit", visit_id, {}, op="delete")
    assert gone["status"] == "rejected" and LOCKED in str(gone["errors"])
    visit = row(Visit, visit_id)
    assert (visit.summary, visit.deleted_at, visit.version) == (
        "身体尚好，春耕已准备", None, approved["version"])


def test_a_returned_visit_is_pulled_with_the_comment_and_resubmitted_by_an_edit(
        client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    phone.pull_all()
    returned = review(client, auth_headers, visit_id, "return", comment="请补充家庭收入情况")
    phone.pull_all()
    data = pulled(phone, "visit", visit_id)
    assert (data["review_status"], data["review_comment"]) == ("returned", "请补充家庭收入情况")
    assert data["version"] == returned["version"]
    edit = push_one(phone, "visit", visit_id, {"summary": "家庭年收入约两万元"},
                    base_version=data["version"])
    assert edit == {"id": 2, "record_id": str(visit_id), "status": "applied",
                    "version": data["version"] + 1}
    phone.pull_all()
    data = pulled(phone, "visit", visit_id)
    assert (data["review_status"], data["summary"]) == ("pending", "家庭年收入约两万元")


def test_another_liaison_of_the_village_reads_but_cannot_change_a_visit(
        client, auth_headers, county, dummy_beneficiary):
    owner = phone_for(client, auth_headers)
    visit_id = new_visit(owner, dummy_beneficiary.id)
    colleague = Phone(client, second_liaison(county))
    colleague.pull_all()
    assert str(visit_id) in colleague.ids("visit")
    edit = push_one(colleague, "visit", visit_id, {"summary": "别人改的"}, base_version=1)
    assert edit["status"] == "rejected"
    assert NOT_YOUR_VISIT in str(edit["errors"])
    delete = push_one(colleague, "visit", visit_id, {}, op="delete")
    assert delete["status"] == "rejected"
    visit = row(Visit, visit_id)
    assert (visit.version, visit.deleted_at) == (1, None)
    # staff of the township may correct it from their phone
    staff = phone_for(client, auth_headers, "township1")
    fixed = push_one(staff, "visit", visit_id, {"summary": "干部更正"}, base_version=1)
    assert fixed["status"] == "applied"
    assert row(Visit, visit_id).summary == "干部更正"
    assert row(Visit, visit_id).liaison_id == county.users["liaison1"]


def test_a_reassigned_liaisons_queued_mutations_are_checked_on_arrival(
        client, auth_headers, county, user, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    phone.pull_all()
    # queued offline while still serving V11 ...
    queued = [
        phone.mutation("visit", uuid.uuid4(), visit_data(dummy_beneficiary.id)),
        phone.mutation("visit", visit_id, {"summary": "离任前补记"}, base_version=1),
        phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13911112222"}, base_version=1),
        phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"])),
    ]
    # ... then moved to V12 before the phone came back online
    liaison = user("liaison1")
    liaison.region_id = county.regions["V12"]
    db.session.commit()
    response = phone.push(queued)
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert results[0]["errors"] == {"beneficiary_id": ["不在您的管辖范围内"]}
    assert results[3]["errors"] == {"village_id": ["不在您的管辖范围内"]}
    assert response.json["last_mutation_id"] == 5
    assert row(Visit, visit_id).summary == "身体尚好，春耕已准备"
    assert row(Beneficiary, dummy_beneficiary.id).version == 1
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


# --- deletes -----------------------------------------------------------------------------

def test_a_deleted_record_reaches_other_phones_as_a_tombstone(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    officer = phone_for(client, auth_headers, "township1")
    officer.pull_all()
    assert str(visit_id) in officer.ids("visit")
    other = phone_for(client, auth_headers, "liaison2")
    other.pull_all()
    result = push_one(phone, "visit", visit_id, {}, op="delete")
    assert result == {"id": 2, "record_id": str(visit_id), "status": "applied", "version": 2}
    changes = officer.pull()["changes"]
    assert [c for c in changes if c["entity"] == "visit"] == [
        {"entity": "visit", "record_id": str(visit_id), "op": "delete", "version": 2,
         "reason": "deleted"}]
    assert str(visit_id) not in officer.ids("visit")
    assert all(c["record_id"] != str(visit_id) for c in other.pull()["changes"])
    # a phone that never held it gets nothing about it on its first pull
    newcomer = phone_for(client, auth_headers, "township1")
    newcomer.pull_all()
    assert str(visit_id) not in newcomer.ids("visit")


def test_deleting_a_deleted_record_is_applied_again(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    first = push_one(phone, "visit", visit_id, {}, op="delete")
    second = push_one(phone, "visit", visit_id, {}, op="delete")
    assert first["status"] == second["status"] == "applied"
    assert first["version"] == second["version"] == 2
    assert row(Visit, visit_id).version == 2


def test_editing_a_deleted_record_is_rejected(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    visit_id = new_visit(phone, dummy_beneficiary.id)
    push_one(phone, "visit", visit_id, {}, op="delete")
    result = push_one(phone, "visit", visit_id, {"summary": "删后再改"}, base_version=1)
    assert result["status"] == "rejected"
    assert result["errors"] == {"record_id": ["记录已被删除"]}


def test_a_liaison_cannot_delete_a_beneficiary_from_the_phone(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    result = push_one(phone, "beneficiary", dummy_beneficiary.id, {}, op="delete")
    assert result["status"] == "rejected"
    assert row(Beneficiary, dummy_beneficiary.id).deleted_at is None


# --- merges and conflicts of the other entities ------------------------------------------

def make_case(phone, beneficiary_id, **overrides):
    case_id = uuid.uuid4()
    data = {"beneficiary_id": str(beneficiary_id), "kind": "neighbour", "parties": "张三与邻居李四",
            "description": "宅基地边界争议", **overrides}
    assert push_one(phone, "mediation_case", case_id, data)["status"] == "applied"
    return case_id


def test_mediation_case_edits_merge_or_conflict(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    case_id = make_case(phone, dummy_beneficiary.id)
    staff = client.patch(f"/api/v1/mediation-cases/{case_id}", json={"description": "边界争议，涉及水渠"},
                         headers=auth_headers("township1"))
    assert staff.status_code == 200 and staff.json["version"] == 2
    merged = push_one(phone, "mediation_case", case_id, {"parties": "张三、李四两户"}, base_version=1)
    assert (merged["status"], merged["version"]) == ("merged", 3)
    case = row(MediationCase, case_id)
    assert (case.parties, case.description) == ("张三、李四两户", "边界争议，涉及水渠")

    client.patch(f"/api/v1/mediation-cases/{case_id}", json={"parties": "张三与李四及其子"},
                 headers=auth_headers("township1"))
    clash = push_one(phone, "mediation_case", case_id,
                     {"parties": "张三与李四", "description": "只改这个不行"}, base_version=3)
    assert clash["status"] == "conflict"
    assert clash["fields"] == ["parties"]
    assert clash["server"]["parties"] == "张三与李四及其子"
    case = row(MediationCase, case_id)
    assert (case.parties, case.description, case.version) == ("张三与李四及其子", "边界争议，涉及水渠", 4)
    stored = db.session.scalars(select(SyncConflict).where(SyncConflict.record_id == case_id)).one()
    assert stored.entity == "mediation_case"
    assert stored.fields == {"parties": {"mine": "张三与李四", "server": "张三与李四及其子"}}
    assert stored.village_id == dummy_beneficiary.village_id


def test_contact_card_edits_merge_or_conflict(client, auth_headers, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"), name="李外出",
                                   is_migrant=True, work_city="广州")
    phone = phone_for(client, auth_headers)
    card_id = uuid.uuid4()
    created = push_one(phone, "contact_card", card_id, {"beneficiary_id": str(person.id),
                                                         "employer": "广州某电子厂"})
    assert created["status"] == "applied"
    staff = client.patch(f"/api/v1/contact-cards/{card_id}", json={"employer": "广州某五金厂"},
                         headers=auth_headers("township1"))
    assert staff.status_code == 200
    merged = push_one(phone, "contact_card", card_id, {"phone": "13922223333"}, base_version=1)
    assert merged["status"] == "merged"
    clash = push_one(phone, "contact_card", card_id, {"employer": "深圳某公司"}, base_version=1)
    assert (clash["status"], clash["fields"]) == ("conflict", ["employer"])
    phone.pull_all()
    data = pulled(phone, "contact_card", card_id)
    assert (data["phone"], data["employer"]) == ("13922223333", "广州某五金厂")
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 1


def test_health_file_edits_merge_or_conflict(client, auth_headers, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    file_id = uuid.uuid4()
    created = push_one(phone, "health_file", file_id, {"beneficiary_id": str(dummy_beneficiary.id),
                                                        "conditions": "高血压"})
    assert created == {"id": 1, "record_id": str(file_id), "status": "applied", "version": 1}
    url = f"/api/v1/beneficiaries/{dummy_beneficiary.id}/health-file"
    staff = client.put(url, json={"insurance": "rural_cooperative"}, headers=auth_headers("township1"))
    assert staff.status_code == 200 and staff.json["version"] == 2
    merged = push_one(phone, "health_file", file_id, {"family_doctor": "王医生"}, base_version=1)
    assert (merged["status"], merged["version"]) == ("merged", 3)
    client.put(url, json={"conditions": "高血压、糖尿病"}, headers=auth_headers("township1"))
    clash = push_one(phone, "health_file", file_id, {"conditions": "冠心病"}, base_version=3)
    assert (clash["status"], clash["fields"]) == ("conflict", ["conditions"])
    health_file = row(HealthFile, file_id)
    assert (health_file.conditions, health_file.insurance, health_file.family_doctor) == (
        "高血压、糖尿病", "rural_cooperative", "王医生")
    # a second file for the same person from another phone is refused, not duplicated
    officer = phone_for(client, auth_headers, "township1")
    again = push_one(officer, "health_file", uuid.uuid4(), {"beneficiary_id": str(dummy_beneficiary.id)})
    assert again["status"] == "rejected"


def test_an_identity_number_changed_on_both_sides_is_a_conflict(client, auth_headers, dummy_beneficiary):
    staff_number = factories.id_number()
    phone_number = factories.id_number()
    response = client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"id_number": staff_number},
                            headers=auth_headers("township1"))
    assert response.status_code == 200
    phone = phone_for(client, auth_headers)
    result = push_one(phone, "beneficiary", dummy_beneficiary.id, {"id_number": phone_number},
                      base_version=1)
    assert (result["status"], result["fields"]) == ("conflict", ["id_number"])
    assert factories.stored_id_number(row(Beneficiary, dummy_beneficiary.id)) == staff_number
    stored = db.session.scalars(select(SyncConflict)).one()
    # both numbers survive, sealed: neither is in the row in clear
    assert set(stored.fields["id_number"]) == {"mine", "server"}
    raw = json.dumps(stored.fields)
    assert phone_number not in raw and staff_number not in raw
    assert all(set(value) == {"sealed"} for value in stored.fields["id_number"].values())
    # the listing hides them; the officer resolving the conflict asks for them (audited)
    officer = auth_headers("township1")
    [listed] = client.get("/api/v1/sync/conflicts", headers=officer).json
    assert listed["fields"] == {"id_number": {"mine": "（已隐藏）", "server": "（已隐藏）"}}
    url = f"/api/v1/sync/conflicts/{stored.id}"
    revealed = client.get(f"{url}/secrets", headers=officer)
    assert revealed.status_code == 200, revealed.json
    assert revealed.json["fields"] == {"id_number": {"mine": phone_number, "server": staff_number}}
    reads = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "read_id_number",
        AuditEntry.record_id == str(dummy_beneficiary.id))).all()
    assert [entry.username for entry in reads] == ["township1"]
    assert client.get(f"{url}/secrets", headers=auth_headers("liaison1")).status_code == 403
    # and choosing the phone's number applies it
    resolved = client.post(f"{url}/resolve", json={"choices": {"id_number": "mine"}},
                           headers=officer)
    assert resolved.status_code == 200, resolved.json
    assert factories.stored_id_number(row(Beneficiary, dummy_beneficiary.id)) == phone_number


def test_a_phone_does_not_conflict_with_its_own_earlier_edits(client, auth_headers, dummy_beneficiary):
    """Two edits of one field made offline both carry the version the phone last saw."""
    phone = phone_for(client, auth_headers)
    phone.pull_all()
    first = phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13911112222"}, base_version=1)
    second = phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13933334444"}, base_version=1)
    results = phone.push([first, second]).json["results"]
    assert [r["status"] for r in results] == ["applied", "merged"]
    # the same across pushes, e.g. after a lost response
    third = phone.mutation("beneficiary", dummy_beneficiary.id, {"phone": "13955556666"}, base_version=1)
    assert phone.push([first, second, third]).json["results"][2]["status"] == "merged"
    assert row(Beneficiary, dummy_beneficiary.id).phone == "13955556666"
    # but a staff change in between is the server's and still clashes
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}", json={"phone": "13700000000"},
                 headers=auth_headers("township1"))
    fourth = push_one(phone, "beneficiary", dummy_beneficiary.id, {"phone": "13977778888"}, base_version=1)
    assert (fourth["status"], fourth["fields"]) == ("conflict", ["phone"])
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 1


# --- parent fields -----------------------------------------------------------------------

def test_parent_references_cannot_be_changed(client, auth_headers, county, user, dummy_beneficiary):
    other_person = factories.beneficiary(county.regions["V11"], user("admin"), name="王五")
    phone = phone_for(client, auth_headers)
    case_id = make_case(phone, dummy_beneficiary.id)
    other_case = make_case(phone, other_person.id)
    session_id = uuid.uuid4()
    created = push_one(phone, "mediation_session", session_id, {
        "case_id": str(case_id), "held_on": county_today().isoformat(), "notes": "第一次调解"})
    assert created["status"] == "applied"
    moved = push_one(phone, "mediation_session", session_id, {"case_id": str(other_case)}, base_version=1)
    assert moved["status"] == "rejected"
    assert moved["errors"] == {"case_id": ["不能更改记录的归属"]}
    assert row(MediationSession, session_id).case_id == case_id
    # sending the parent unchanged alongside a real change is fine
    same = push_one(phone, "mediation_session", session_id,
                    {"case_id": str(case_id), "notes": "双方初步同意"}, base_version=1)
    assert same["status"] == "applied"

    case_moved = push_one(phone, "mediation_case", case_id, {"beneficiary_id": str(other_person.id)},
                          base_version=row(MediationCase, case_id).version)
    assert case_moved["status"] == "rejected"
    assert case_moved["errors"] == {"beneficiary_id": ["不能更改记录的归属"]}

    visit_id = new_visit(phone, dummy_beneficiary.id)
    visit_moved = push_one(phone, "visit", visit_id, {"beneficiary_id": str(other_person.id)},
                           base_version=1)
    assert visit_moved["status"] == "rejected"
    assert row(Visit, visit_id).beneficiary_id == dummy_beneficiary.id


# --- attachments -------------------------------------------------------------------------

def same_picture(stored, sent):
    """The stored photo is the one sent, decoded and written anew (same format, size and,
    for a lossless format, pixels)."""
    with Image.open(io.BytesIO(stored)) as got, Image.open(io.BytesIO(sent)) as want:
        assert (got.format, got.size) == (want.format, want.size)
        return want.format != "PNG" or got.convert("RGB").tobytes() == want.convert("RGB").tobytes()


def put_photo(client, headers, photo_id, data=JPEG, content_type="image/jpeg", sha=None):
    return client.put(f"/api/v1/attachments/{photo_id}", data=data, content_type=content_type,
                      headers={**headers, "X-Content-SHA256": sha or hashlib.sha256(data).hexdigest()})


def test_attachment_upload_is_idempotent_by_id_and_hash(client, auth_headers):
    headers = auth_headers("liaison1")
    photo_id = uuid.uuid4()
    first = put_photo(client, headers, photo_id)
    assert first.status_code == 201
    assert first.json == {"id": str(photo_id), "stored": True}
    assert put_photo(client, headers, photo_id).status_code == 200
    other = JPEG + b"\x00"
    assert put_photo(client, headers, photo_id, data=other).status_code == 409
    assert same_picture(client.get(f"/api/v1/attachments/{photo_id}", headers=headers).data, JPEG)


@pytest.mark.parametrize(("data", "content_type", "sha", "status"), [
    (JPEG, "image/jpeg", "0" * 64, 422),
    (JPEG, "image/jpeg", "", 422),
    (b"hello", "text/plain", None, 415),
    (b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), "image/jpeg", None, 413),
    (b"GIF89a...", "image/jpeg", None, 422),
])
def test_attachment_upload_is_checked(client, auth_headers, data, content_type, sha, status):
    photo_id = uuid.uuid4()
    headers = auth_headers("liaison1")
    if sha == "":
        response = client.put(f"/api/v1/attachments/{photo_id}", data=data, content_type=content_type,
                              headers=headers)
    else:
        response = put_photo(client, headers, photo_id, data=data, content_type=content_type, sha=sha)
    assert response.status_code == status, response.json
    assert client.get(f"/api/v1/attachments/{photo_id}", headers=headers).status_code == 404


def test_a_photo_is_readable_by_who_can_see_a_visit_listing_it(client, auth_headers, dummy_beneficiary):
    liaison = auth_headers("liaison1")
    before, after = uuid.uuid4(), uuid.uuid4()
    assert put_photo(client, liaison, before).status_code == 201
    # the uploader reads it before any visit names it; nobody else does
    assert client.get(f"/api/v1/attachments/{before}", headers=liaison).status_code == 200
    assert client.get(f"/api/v1/attachments/{before}", headers=auth_headers("township1")).status_code == 404
    phone = Phone(client, liaison)
    # one photo uploaded before the visit, one the visit names before it arrives
    visit_id = new_visit(phone, dummy_beneficiary.id, photo_ids=[str(before), str(after)])
    png = factories.image_bytes("PNG")
    assert put_photo(client, liaison, after, data=png, content_type="image/png").status_code == 201
    for photo_id, data in ((before, JPEG), (after, png)):
        response = client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("township1"))
        assert response.status_code == 200
        assert same_picture(response.data, data)
        assert client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("county1")).status_code == 200
        assert client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("liaison3")).status_code == 404
        assert client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("township2")).status_code == 404
    # another user re-sending the same bytes learns nothing about a photo they cannot see
    assert put_photo(client, auth_headers("liaison3"), after, data=png, content_type="image/png").status_code == 404
    # a deleted visit no longer shows its photos to others
    push_one(phone, "visit", visit_id, {}, op="delete")
    assert client.get(f"/api/v1/attachments/{after}", headers=auth_headers("township1")).status_code == 404
    assert client.get(f"/api/v1/attachments/{after}", headers=liaison).status_code == 200


def test_dropping_a_photo_from_a_visit_ends_others_access(client, auth_headers, dummy_beneficiary):
    liaison = auth_headers("liaison1")
    photo_id = uuid.uuid4()
    put_photo(client, liaison, photo_id)
    phone = Phone(client, liaison)
    visit_id = new_visit(phone, dummy_beneficiary.id, photo_ids=[str(photo_id)])
    assert client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("township1")).status_code == 200
    assert push_one(phone, "visit", visit_id, {"photo_ids": []}, base_version=1)["status"] == "applied"
    assert client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers("township1")).status_code == 404


def _png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


# A valid PNG header claiming 100000 × 100000 pixels (30 GB decoded) in 68 bytes.
PNG_BOMB = (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 8)) + _png_chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "content_type"), [
    (b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>", "image/png"),
    (b"RIFF\x24\x00\x00\x00WEBP" + b"PK\x03\x04" + b"\x00" * 40, "image/webp"),
    (b"RIFF" + b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "image/webp"),
    (PNG_BOMB, "image/png"),
    (factories.image_bytes("PNG"), "image/jpeg"),  # a real image, but not what it says
    (factories.image_bytes("JPEG")[:200], "image/jpeg"),  # cut short
], ids=["png-then-html", "riff-webp-zip", "riff-zip", "png-bomb", "mislabelled", "truncated"])
def test_a_photo_must_decode_as_the_image_it_claims_to_be(client, auth_headers, data,
                                                           content_type, own_photo_dir):
    assert len(PNG_BOMB) == 68
    photo_id = uuid.uuid4()
    headers = auth_headers("liaison1")
    response = put_photo(client, headers, photo_id, data=data, content_type=content_type)
    assert response.status_code == 422, response.json
    assert client.get(f"/api/v1/attachments/{photo_id}", headers=headers).status_code == 404
    assert db.session.get(Attachment, photo_id) is None
    assert list(photo_store().iter_keys()) == []  # nothing of it written to disk either


@pytest.mark.parametrize(("image_format", "content_type"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_each_accepted_format_is_stored_as_itself(client, auth_headers, image_format,
                                                  content_type):
    data = factories.image_bytes(image_format)
    photo_id, headers = uuid.uuid4(), auth_headers("liaison1")
    assert put_photo(client, headers, photo_id, data=data,
                     content_type=content_type).status_code == 201
    stored = client.get(f"/api/v1/attachments/{photo_id}", headers=headers)
    assert stored.mimetype == content_type
    assert same_picture(stored.data, data)


def test_a_photo_is_kept_upright_and_without_its_metadata(client, auth_headers):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; shown rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x9003] = "2026:11:18 09:31:00"  # DateTimeOriginal
    exif.get_ifd(0x8825)[2] = (31.0, 30.0, 0.0)  # GPSLatitude: where the person lives
    data = factories.image_bytes("JPEG", size=(40, 20), exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as sent:
        assert sent.getexif()[0x0112] == 6
    photo_id = uuid.uuid4()
    headers = auth_headers("liaison1")
    assert put_photo(client, headers, photo_id, data=data).status_code == 201
    stored = client.get(f"/api/v1/attachments/{photo_id}", headers=headers).data
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("JPEG", (20, 40))  # turned upright
        assert dict(image.getexif()) == {} and "exif" not in image.info
    assert b"PhoneMaker" not in stored
    # the retry of the same upload is still recognised by the hash of what was sent
    assert put_photo(client, headers, photo_id, data=data).status_code == 200


def test_photo_uploads_have_a_quota_per_user(app, client, auth_headers, monkeypatch,
                                             own_photo_dir):
    monkeypatch.setitem(app.config, "LIANXIN_PHOTO_QUOTA_MB", 1)
    liaison = auth_headers("liaison1")
    # random pixels do not compress: about 480 kB each
    statuses = [put_photo(client, liaison, uuid.uuid4(), data=factories.image_bytes(
        "PNG", size=(400, 400)), content_type="image/png").status_code for _ in range(4)]
    assert statuses == [201, 201, 429, 429]
    assert len(list(photo_store().iter_keys())) == 2  # a refused photo leaves no file
    refused = put_photo(client, liaison, uuid.uuid4(), data=factories.image_bytes(
        "PNG", size=(400, 400)), content_type="image/png")
    assert refused.json["code"] == "photo_quota"
    # another user's quota is their own
    assert put_photo(client, auth_headers("liaison2"), uuid.uuid4(), data=factories.image_bytes(
        "PNG", size=(400, 400)), content_type="image/png").status_code == 201


def test_naming_a_photo_before_its_upload_grants_nothing_over_anothers_upload(
        client, auth_headers, dummy_beneficiary):
    """A visit may list a photo before it arrives, but only its recorder's upload of
    that id is shown through it: listing an id does not claim someone else's photo."""
    liaison = auth_headers("liaison1")
    photo_id = uuid.uuid4()
    phone = Phone(client, liaison)
    visit_id = new_visit(phone, dummy_beneficiary.id, photo_ids=[str(photo_id)])
    # someone else (a liaison of another township) uploads a photo under that id
    theirs = factories.image_bytes("JPEG")
    assert put_photo(client, auth_headers("liaison3"), photo_id, data=theirs).status_code == 201
    for username in ("liaison1", "township1", "county1"):
        response = client.get(f"/api/v1/attachments/{photo_id}", headers=auth_headers(username))
        assert response.status_code == 404, username
    assert client.get(f"/api/v1/attachments/{photo_id}",
                      headers=auth_headers("liaison3")).status_code == 200
    # nor does the reviewer's page of the visit count it as the visit's photo
    detail = client.get(f"/api/v1/review/visits/{visit_id}", headers=auth_headers("township1"))
    assert detail.json["photos"] == [
        {"id": str(photo_id), "uploaded": False, "content_type": None, "size": None}]


@pytest.fixture
def own_photo_dir(app, tmp_path, monkeypatch):
    """A photo store of the test's own: files outlive the rolled-back rows of other
    tests, and a sweep of unnamed files must count only this test's."""
    monkeypatch.setitem(app.config, "LIANXIN_PHOTO_DIR", str(tmp_path / "photos"))
    return tmp_path / "photos"


def _age_file(key, moment):
    os.utime(photo_store().path(key), (moment.timestamp(), moment.timestamp()))


def test_photos_no_visit_lists_are_purged_after_a_while(app, client, auth_headers,
                                                        dummy_beneficiary, own_photo_dir):
    from server.common.timeutil import utcnow
    from server.jobs import housekeeping

    liaison = auth_headers("liaison1")
    stray, listed, recent, twin = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    shared = factories.image_bytes("PNG")
    for photo_id, data in ((stray, factories.image_bytes("JPEG")), (listed, shared),
                           (recent, factories.image_bytes("JPEG")), (twin, shared)):
        assert put_photo(client, liaison, photo_id, data=data,
                         content_type=mimetype_of(data)).status_code == 201
    new_visit(Phone(client, liaison), dummy_beneficiary.id, photo_ids=[str(listed)])
    long_ago = utcnow() - timedelta(days=31)
    keys = {photo_id: db.session.get(Attachment, photo_id).file_key
            for photo_id in (stray, listed, recent, twin)}
    assert keys[listed] == keys[twin]  # the same bytes: one file
    for photo_id in (stray, listed, twin):
        db.session.get(Attachment, photo_id).created_at = long_ago
        _age_file(keys[photo_id], long_ago)
    db.session.flush()
    assert housekeeping.purge_unlinked_photos(utcnow()) == 2  # stray and the unlisted twin
    assert housekeeping.purge_unnamed_photo_files(utcnow()) == 1  # stray's: listed names twin's
    db.session.expire_all()
    assert db.session.get(Attachment, stray) is None
    assert db.session.get(Attachment, twin) is None
    assert not photo_store().exists(keys[stray])
    for kept in (listed, recent):
        assert db.session.get(Attachment, kept) is not None
        assert photo_store().exists(keys[kept])
        assert client.get(f"/api/v1/attachments/{kept}", headers=liaison).status_code == 200


def mimetype_of(data):
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def test_a_photo_is_a_file_on_disk_before_its_row_is_written_and_the_row_holds_no_bytes(
        app, client, auth_headers):
    seen = []

    def file_there(_mapper, _connection, target):
        seen.append(photo_store().path(target.file_key).is_file())

    event.listen(Attachment, "before_insert", file_there)
    try:
        data = factories.image_bytes("PNG", size=(30, 20))
        photo_id, headers = uuid.uuid4(), auth_headers("liaison1")
        assert put_photo(client, headers, photo_id, data=data, content_type="image/png").status_code == 201
    finally:
        event.remove(Attachment, "before_insert", file_there)
    assert seen == [True]
    stored = db.session.get(Attachment, photo_id)
    assert {column.name for column in Attachment.__table__.columns} == {
        "id", "sha256", "content_type", "size", "file_key", "uploaded_by_id", "created_at"}
    served = client.get(f"/api/v1/attachments/{photo_id}", headers=headers)
    assert served.data == photo_store().read(stored.file_key)
    assert stored.file_key == hashlib.sha256(served.data).hexdigest() == served.headers["ETag"].strip('"')
    assert stored.size == len(served.data)
    assert "no-store" in served.headers["Cache-Control"]  # personal data: never cached
    again = client.get(f"/api/v1/attachments/{photo_id}",
                       headers={**headers, "If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # a retry after a lost answer: the same row, the same file
    assert put_photo(client, headers, photo_id, data=data, content_type="image/png").status_code == 200
    assert len([key for key in photo_store().iter_keys() if key == stored.file_key]) == 1


def test_a_file_left_by_an_upload_whose_commit_never_came_is_swept_later(app, user,
                                                                         own_photo_dir):
    from server.common.timeutil import utcnow
    from server.jobs import housekeeping
    from server.visits import photos

    data = factories.image_bytes("PNG", size=(24, 24))
    with db.session.begin_nested():  # the upload's transaction, then the crash
        attachment, _ = photos.store(uuid.uuid4(), data, "image/png",
                                     hashlib.sha256(data).hexdigest(), user("liaison1"))
        key = attachment.file_key
        db.session.rollback()
    assert photo_store().exists(key)
    assert housekeeping.purge_unnamed_photo_files(utcnow()) == 0  # too young to be a stray
    _age_file(key, utcnow() - timedelta(days=31))
    assert housekeeping.purge_unnamed_photo_files(utcnow()) == 1
    assert not photo_store().exists(key)


def test_a_photo_whose_file_is_gone_answers_410_not_500(app, client, auth_headers):
    data = factories.image_bytes("JPEG")
    photo_id, headers = uuid.uuid4(), auth_headers("liaison1")
    assert put_photo(client, headers, photo_id, data=data).status_code == 201
    photo_store().delete(db.session.get(Attachment, photo_id).file_key)
    response = client.get(f"/api/v1/attachments/{photo_id}", headers=headers)
    assert response.status_code == 410
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "photo_file_missing" and "备份" in response.json["detail"]


# --- pull --------------------------------------------------------------------------------

def _busy_county(county, user):
    """30 people with a visit each in V11, some in V12 and V21, edits and deletes between."""
    admin = user("admin")
    people = [factories.beneficiary(county.regions["V11"], admin, name=f"甲{i}") for i in range(30)]
    others = [factories.beneficiary(county.regions[v], admin, name=f"外{v}{i}")
              for v in ("V12", "V21") for i in range(5)]
    visits = []
    for index, person in enumerate(people + others):
        visit = create_visit({"beneficiary_id": person.id, "visit_type": "monthly",
                              "visited_on": county_today(), "summary": f"第{index}次"}, admin)
        visits.append(visit)
        db.session.commit()
    from server.beneficiaries.operations import delete_beneficiary, update_beneficiary
    from server.visits.operations import delete_visit, update_visit
    for person in people[::4]:  # edits move old records behind newer ones in the log
        update_beneficiary(person, {"address": "新址"}, admin)
    for visit in visits[::7]:
        delete_visit(visit, admin)
    for visit in visits[1::5]:
        if visit.deleted_at is None:
            update_visit(visit, {"summary": "已改"}, admin)
    delete_beneficiary(people[3], admin)
    update_beneficiary(others[0], {"village_id": county.regions["V11"]}, admin)  # moves in
    update_beneficiary(people[5], {"village_id": county.regions["V21"]}, admin)  # moves out
    db.session.commit()


def _live_ids(model, villages):
    return {str(i) for i in db.session.scalars(select(model.id).where(
        model.village_id.in_(villages), model.deleted_at.is_(None)))}


@pytest.mark.parametrize(("username", "villages", "limit"), [
    ("liaison1", ["V11"], 7), ("liaison1", ["V11"], 1), ("township1", ["V11", "V12"], 11),
])
def test_a_paged_first_pull_yields_each_live_record_once(
        client, auth_headers, county, user, username, villages, limit):
    _busy_county(county, user)
    phone = phone_for(client, auth_headers, username)
    pages = [phone.pull(limit=limit)]
    while pages[-1]["has_more"]:
        pages.append(phone.pull(limit=limit))
        assert len(pages) < 500
    upserts = []
    for page in pages:
        assert len(page["changes"]) <= limit
        keys = [(c["entity"], c["record_id"]) for c in page["changes"]]
        assert len(keys) == len(set(keys)), "a record twice in one page"
        upserts += [k for k, c in zip(keys, page["changes"], strict=True) if c["op"] == "upsert"]
        assert not page["reset"]
    assert len(upserts) == len(set(upserts)), "a live record twice across the pages"
    village_ids = [county.regions[v] for v in villages]
    expected = {("beneficiary", i) for i in _live_ids(Beneficiary, village_ids)}
    expected |= {("visit", i) for i in _live_ids(Visit, village_ids)}
    assert len([k for k in expected if k[0] == "visit"]) >= 25
    got = {k for k in upserts if k[0] in ("beneficiary", "visit")}
    assert got == expected
    assert {k for k in phone.records if k[0] in ("beneficiary", "visit")} == expected
    # caught up: nothing more until something changes
    assert phone.pull(limit=limit)["changes"] == []


def test_notifications_are_pulled_only_by_their_user(client, auth_headers, county):
    note = notify(county.users["liaison1"], "task_due", "本月走访提醒", "请于 18 日前完成走访")
    db.session.commit()
    mine = phone_for(client, auth_headers)
    mine.pull_all()
    assert pulled(mine, "notification", note.id)["title"] == "本月走访提醒"
    for username in ("liaison2", "township1", "county1"):
        other = phone_for(client, auth_headers, username)
        other.pull_all()
        assert other.ids("notification") == set()
    mine.pull_all()
    assert mine.pull()["changes"] == []


def test_a_phone_marks_its_notification_read(client, auth_headers, county):
    note = notify(county.users["liaison1"], "task_due", "本月走访提醒", "请于 18 日前完成走访")
    db.session.commit()
    phone = phone_for(client, auth_headers)
    phone.pull_all()
    version = pulled(phone, "notification", note.id)["version"]
    result = push_one(phone, "notification", note.id, {"read": True}, base_version=version)
    assert result == {"id": 1, "record_id": str(note.id), "status": "applied", "version": version + 1}
    phone.pull_all()
    assert pulled(phone, "notification", note.id)["read"] is True
    # anything but "read" is refused
    title = push_one(phone, "notification", note.id, {"title": "改标题"}, base_version=version + 1)
    assert title["status"] == "rejected"
    # nor can a phone make one up
    made_up = push_one(phone, "notification", uuid.uuid4(), {"kind": "x", "title": "t", "body": "b"})
    assert made_up["status"] == "rejected"


def test_another_users_notification_cannot_be_marked(client, auth_headers, county):
    note = notify(county.users["liaison1"], "task_due", "本月走访提醒", "请于 18 日前完成走访")
    db.session.commit()
    for username in ("liaison2", "admin"):
        other = phone_for(client, auth_headers, username)
        result = push_one(other, "notification", note.id, {"read": True}, base_version=1)
        assert result["status"] == "rejected"
        assert "record_id" in result["errors"]
    assert row(Notification, note.id).read is False


# --- read-only entities ------------------------------------------------------------------

def test_regions_and_visit_tasks_are_read_only_on_phones(client, auth_headers, county):
    phone = phone_for(client, auth_headers, "admin")
    village = county.regions["V11"]
    cases = [
        ("region", village, {"name": "改名村"}, 1, "upsert"),
        ("region", uuid.uuid4(), {"code": "510801009", "name": "新村", "level": "village",
                                  "parent_id": str(county.regions["T1"])}, None, "upsert"),
        ("region", village, {}, None, "delete"),
        ("visit_task", uuid.uuid4(), {"status": "done"}, 1, "upsert"),
        ("visit_task", uuid.uuid4(), {"beneficiary_id": str(uuid.uuid4()), "kind": "monthly"},
         None, "upsert"),
        ("visit_task", uuid.uuid4(), {}, None, "delete"),
    ]
    for entity, record_id, data, base_version, op in cases:
        result = push_one(phone, entity, record_id, data, base_version=base_version, op=op)
        assert result["status"] == "rejected", (entity, op)
        assert result["errors"] == READ_ONLY
    from server.regions.models import Region
    assert db.session.get(Region, village).name == "一号镇甲村"


def test_a_value_the_database_cannot_store_rejects_only_its_mutation(
        client, auth_headers, county, dummy_beneficiary):
    phone = phone_for(client, auth_headers)
    response = phone.push([
        phone.mutation("beneficiary", dummy_beneficiary.id, {"notes": "有\x00空字符"}, base_version=1),
        phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(county.regions["V11"], name="空\x00字")),
        phone.mutation("beneficiary", dummy_beneficiary.id, {"address": "二组"}, base_version=1),
    ])
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert results[0]["errors"] == {"notes": ["含有无法保存的字符，请删除后再提交"]}
    assert results[1]["errors"] == {"name": ["含有无法保存的字符，请删除后再提交"]}
    assert response.json["last_mutation_id"] == 3
    assert row(Beneficiary, dummy_beneficiary.id).address == "二组"


@pytest.mark.parametrize("client_time", [
    None, "", "2026-11-18T09:31:00+08:00", "1970-01-01T00:00:00Z", "2099-12-31T23:59:59-12:00",
    "昨天下午三点", "x" * 300, 1763429460000,
])
def test_the_device_clock_does_not_matter(client, auth_headers, dummy_beneficiary, client_time):
    phone = phone_for(client, auth_headers)
    mutation = phone.mutation("beneficiary", dummy_beneficiary.id, {"address": "二组"}, base_version=1)
    mutation["client_time"] = client_time
    response = phone.push([mutation])
    assert response.status_code == 200
    assert response.json["results"][0]["status"] == "applied"
