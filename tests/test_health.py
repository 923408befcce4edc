from datetime import timedelta

import pytest
from sqlalchemy import select, text

from server.errors import NotFound
from server.extensions import db
from server.health.models import HealthEvent, HealthFile
from server.health.operations import delete_health_event
from server.records.versioning import REDACTED
from tests import factories
from tests.factories import audit_rows, row

EVENTS = "/api/v1/health-events"


def file_url(beneficiary):
    return f"/api/v1/beneficiaries/{beneficiary.id}/health-file"


def post_event(client, headers, beneficiary, **overrides):
    values = {
        "beneficiary_id": str(beneficiary.id),
        "kind": "illness",
        "occurred_on": "2026-03-05",
        "description": "高血压复发",
        "hospital": "县人民医院",
    }
    values.update(overrides)
    values = {k: v for k, v in values.items() if v is not ...}
    return client.post(EVENTS, json=values, headers=headers)


# --- health file -----------------------------------------------------------------------


def test_health_file_is_404_until_created(client, auth_headers, dummy_beneficiary):
    response = client.get(file_url(dummy_beneficiary), headers=auth_headers("liaison1"))
    assert response.status_code == 404
    assert response.json["detail"] == "该优抚对象还没有健康档案"


def test_put_creates_the_file_with_a_client_id(client, auth_headers, dummy_beneficiary):
    record_id = "5d0c2a1e-7b3f-4c8d-9e0f-1a2b3c4d5e6f"
    response = client.put(file_url(dummy_beneficiary), headers=auth_headers("liaison1"), json={
        "id": record_id, "conditions": "高血压", "insurance": "rural_cooperative",
        "family_doctor": "李医生", "last_checkup": "2026-06-01",
    })
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"] == record_id
    assert body["version"] == 1
    assert body["beneficiary_id"] == str(dummy_beneficiary.id)
    assert body["village_id"] == str(dummy_beneficiary.village_id)
    assert body["conditions"] == "高血压"
    assert body["medications"] is None
    again = client.get(file_url(dummy_beneficiary), headers=auth_headers("township1"))
    assert again.status_code == 200
    assert again.json == body
    [created] = audit_rows(record_id, "create")
    assert created.username == "liaison1"
    assert created.changes["conditions"] == REDACTED


def test_put_on_an_existing_file_changes_only_the_given_fields(client, auth_headers, dummy_beneficiary):
    headers = auth_headers("liaison1")
    first = client.put(file_url(dummy_beneficiary), headers=headers,
                       json={"conditions": "高血压", "family_doctor": "李医生"}).json
    response = client.put(file_url(dummy_beneficiary), headers=headers,
                          json={"id": first["id"], "medications": "硝苯地平", "insurance": "none"})
    assert response.status_code == 200
    body = response.json
    assert body["version"] == 2
    assert (body["conditions"], body["medications"], body["insurance"]) == ("高血压", "硝苯地平", "none")
    assert body["family_doctor"] == "李医生"
    [update] = audit_rows(first["id"], "update")
    # health data is never written into the audit log in clear
    # an empty value says nothing: it stays None; a value is never written
    assert update.changes == {"medications": [None, REDACTED], "insurance": [None, "none"]}
    unchanged = client.put(file_url(dummy_beneficiary), headers=headers, json={"insurance": "none"})
    assert unchanged.json["version"] == 2
    assert len(audit_rows(first["id"], "update")) == 1


def test_health_text_is_encrypted_at_rest(client, auth_headers, dummy_beneficiary):
    client.put(file_url(dummy_beneficiary), headers=auth_headers("liaison1"),
               json={"conditions": "糖尿病二型", "medications": "二甲双胍"})
    conditions, medications = db.session.execute(
        text("SELECT conditions, medications FROM health_file")
    ).one()
    assert "糖尿病" not in conditions and "二甲双胍" not in medications


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"insurance": "gold"}, "insurance", "不是可选的值"),
        ({"last_checkup": "tomorrow"}, "last_checkup", "不能晚于今天"),
        ({"last_checkup": "2026/01/01"}, "last_checkup", "日期格式应为 YYYY-MM-DD"),
        ({"family_doctor": "医" * 61}, "family_doctor", "最多 60 个字"),
        ({"village_id": "5d0c2a1e-7b3f-4c8d-9e0f-1a2b3c4d5e6f"}, "village_id", "不认识的字段"),
        ({"beneficiary_id": "5d0c2a1e-7b3f-4c8d-9e0f-1a2b3c4d5e6f"}, "beneficiary_id",
         "与所选优抚对象不一致"),
    ],
)
def test_health_file_validation(client, auth_headers, dummy_beneficiary, today, values, field, message):
    if values.get("last_checkup") == "tomorrow":
        values = {"last_checkup": (today + timedelta(days=1)).isoformat()}
    response = client.put(file_url(dummy_beneficiary), headers=auth_headers("liaison1"), json=values)
    assert response.status_code == 422
    assert response.json["errors"][field] == [message]
    assert db.session.scalar(select(HealthFile.id)) is None


def test_a_second_file_id_is_refused(client, auth_headers, dummy_beneficiary):
    headers = auth_headers("liaison1")
    assert client.put(file_url(dummy_beneficiary), headers=headers, json={}).status_code == 201
    response = client.put(file_url(dummy_beneficiary), headers=headers,
                          json={"id": "5d0c2a1e-7b3f-4c8d-9e0f-1a2b3c4d5e6f", "conditions": "无"})
    assert response.status_code == 422
    assert response.json["errors"]["id"] == ["该优抚对象已有健康档案，编号不一致"]


def test_health_file_of_another_area_is_404(client, auth_headers, other_beneficiary):
    assert client.put(file_url(other_beneficiary), headers=auth_headers("liaison3"),
                      json={"conditions": "无"}).status_code == 201
    for username in ("liaison1", "township1"):
        headers = auth_headers(username)
        assert client.get(file_url(other_beneficiary), headers=headers).status_code == 404
        response = client.put(file_url(other_beneficiary), headers=headers, json={"conditions": "改"})
        assert response.status_code == 404
    county = client.get(file_url(other_beneficiary), headers=auth_headers("county1"))
    assert county.status_code == 200
    assert county.json["conditions"] == "无"


# --- health events ---------------------------------------------------------------------


def test_liaison_records_a_health_event(client, auth_headers, dummy_beneficiary, county):
    response = post_event(client, auth_headers("liaison1"), dummy_beneficiary)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["version"] == 1
    assert body["village_id"] == str(county.regions["V11"])
    assert (body["kind"], body["occurred_on"], body["hospital"]) == ("illness", "2026-03-05", "县人民医院")
    assert body["aid_amount_fen"] is None
    [created] = audit_rows(body["id"], "create")
    assert created.changes["description"] == REDACTED
    assert created.changes["kind"] == "illness"


def test_medical_aid_keeps_its_amount_in_fen(client, auth_headers, dummy_beneficiary):
    response = post_event(client, auth_headers("liaison1"), dummy_beneficiary,
                          kind="medical_aid", aid_amount_fen=150050)
    assert response.status_code == 201
    assert response.json["aid_amount_fen"] == 150050
    assert row(HealthEvent, response.json["id"]).aid_amount_fen == 150050


def test_client_made_event_id_is_kept_once(client, auth_headers, dummy_beneficiary):
    record_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    headers = auth_headers("liaison1")
    first = post_event(client, headers, dummy_beneficiary, id=record_id)
    assert first.status_code == 201
    assert first.json["id"] == record_id
    again = post_event(client, headers, dummy_beneficiary, id=record_id)
    assert again.status_code == 422
    assert again.json["errors"] == {"id": ["该编号已被使用"]}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"kind": ...}, "kind", "此项必填"),
        ({"kind": "cold"}, "kind", "不是可选的值"),
        ({"occurred_on": ...}, "occurred_on", "此项必填"),
        ({"occurred_on": None}, "occurred_on", "此项不能为空"),
        ({"occurred_on": "tomorrow"}, "occurred_on", "不能晚于今天"),
        ({"beneficiary_id": ...}, "beneficiary_id", "此项必填"),
        ({"beneficiary_id": "abc"}, "beneficiary_id", "编号格式无效"),
        ({"beneficiary_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}, "beneficiary_id",
         "不在您的管辖范围内"),
        ({"aid_amount_fen": 5000}, "aid_amount_fen", "只有医疗救助才能填写救助金额"),
        ({"kind": "medical_aid", "aid_amount_fen": 12.5}, "aid_amount_fen", "应为整数"),
        ({"kind": "medical_aid", "aid_amount_fen": -1}, "aid_amount_fen",
         "应不小于 0 且不大于 100000000000"),
        ({"hospital": "院" * 101}, "hospital", "最多 100 个字"),
        ({"village_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}, "village_id", "不认识的字段"),
    ],
)
def test_health_event_validation(client, auth_headers, dummy_beneficiary, today, overrides, field, message):
    if overrides.get("occurred_on") == "tomorrow":
        overrides = {"occurred_on": (today + timedelta(days=1)).isoformat()}
    response = post_event(client, auth_headers("liaison1"), dummy_beneficiary, **overrides)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][field] == [message]
    assert db.session.scalar(select(HealthEvent.id)) is None


def test_liaison_cannot_record_for_another_village(client, auth_headers, other_beneficiary):
    response = post_event(client, auth_headers("liaison1"), other_beneficiary)
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["不在您的管辖范围内"]}


def test_a_deceased_person_may_still_get_events(client, auth_headers, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"), status="deceased")
    assert post_event(client, auth_headers("liaison1"), person).status_code == 201


def test_event_list_is_scoped(client, auth_headers, county, user, dummy_beneficiary, other_beneficiary):
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="李乙村")
    post_event(client, auth_headers("liaison1"), dummy_beneficiary)
    post_event(client, auth_headers("liaison2"), v12)
    post_event(client, auth_headers("liaison3"), other_beneficiary)
    for username, expected in [
        ("liaison1", {dummy_beneficiary.id}),
        ("liaison3", {other_beneficiary.id}),
        ("township1", {dummy_beneficiary.id, v12.id}),
        ("township2", {other_beneficiary.id}),
        ("county1", {dummy_beneficiary.id, v12.id, other_beneficiary.id}),
    ]:
        body = client.get(EVENTS, headers=auth_headers(username)).json
        assert {item["beneficiary_id"] for item in body["items"]} == {str(i) for i in expected}, username
        assert body["total"] == len(expected)


def test_event_list_filters(client, auth_headers, county, user, dummy_beneficiary, other_beneficiary):
    second = factories.beneficiary(county.regions["V11"], user("admin"), name="钱二")
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="李乙村")
    ids = {
        "a": post_event(client, auth_headers("liaison1"), dummy_beneficiary, occurred_on="2026-03-05"),
        "b": post_event(client, auth_headers("liaison1"), second, kind="hospital", occurred_on="2026-04-01"),
        "c": post_event(client, auth_headers("liaison2"), v12, kind="checkup", occurred_on="2026-03-31"),
        "d": post_event(client, auth_headers("liaison3"), other_beneficiary, kind="medical_aid",
                        aid_amount_fen=100, occurred_on="2026-02-28"),
    }
    names = {response.json["id"]: key for key, response in ids.items()}
    headers = auth_headers("county1")

    def keys(**params):
        body = client.get(EVENTS, query_string=params, headers=headers).json
        return [names[item["id"]] for item in body["items"]]

    assert keys() == ["b", "c", "a", "d"]  # newest first
    assert keys(beneficiary_id=str(second.id)) == ["b"]
    assert keys(village_id=str(county.regions["V11"])) == ["b", "a"]
    assert keys(township_id=str(county.regions["T1"])) == ["b", "c", "a"]
    assert keys(township_id=str(county.regions["T2"])) == ["d"]
    assert keys(kind="medical_aid") == ["d"]
    assert keys(month="2026-03") == ["c", "a"]
    assert keys(month="2026-02") == ["d"]
    assert keys(month="2026-03", village_id=str(county.regions["V12"])) == ["c"]
    page = client.get(EVENTS, query_string={"per_page": 3, "page": 2}, headers=headers).json
    assert (page["total"], page["page"], [names[i["id"]] for i in page["items"]]) == (4, 2, ["d"])


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month": "2026-13"}, "month", "月份格式应为 YYYY-MM"),
        ({"month": "2026-3"}, "month", "月份格式应为 YYYY-MM"),
        ({"kind": "cold"}, "kind", "不是可选的值"),
        ({"village_id": "x"}, "village_id", "编号格式无效"),
        ({"per_page": 0}, "per_page", "应不小于 1 且不大于 500"),
    ],
)
def test_event_list_rejects_bad_filters(client, auth_headers, params, field, message):
    response = client.get(EVENTS, query_string=params, headers=auth_headers("county1"))
    assert response.status_code == 422
    assert response.json["errors"][field] == [message]


def test_event_of_another_area_is_404(client, auth_headers, other_beneficiary):
    event_id = post_event(client, auth_headers("liaison3"), other_beneficiary).json["id"]
    for username in ("liaison1", "township1"):
        for method in ("get", "patch", "delete"):
            response = getattr(client, method)(
                f"{EVENTS}/{event_id}", json={} if method == "patch" else None,
                headers=auth_headers(username),
            )
            assert response.status_code == 404, (username, method)
    assert client.get(f"{EVENTS}/{event_id}", headers=auth_headers("county1")).status_code == 200
    assert row(HealthEvent, event_id).deleted_at is None


def test_get_event(client, auth_headers, dummy_beneficiary):
    created = post_event(client, auth_headers("liaison1"), dummy_beneficiary).json
    response = client.get(f"{EVENTS}/{created['id']}", headers=auth_headers("township1"))
    assert response.status_code == 200
    assert response.json == created


def test_update_event_bumps_version_once_per_change_and_audits(client, auth_headers, dummy_beneficiary):
    event_id = post_event(client, auth_headers("liaison1"), dummy_beneficiary).json["id"]
    url = f"{EVENTS}/{event_id}"
    first = client.patch(url, json={"hospital": "市中心医院"}, headers=auth_headers("liaison1"))
    assert first.status_code == 200
    assert (first.json["hospital"], first.json["version"]) == ("市中心医院", 2)
    second = client.patch(url, json={"kind": "medical_aid", "aid_amount_fen": 80000},
                          headers=auth_headers("township1"))
    assert second.json["version"] == 3
    assert second.json["aid_amount_fen"] == 80000
    same = client.patch(url, json={"hospital": "市中心医院"}, headers=auth_headers("liaison1"))
    assert same.json["version"] == 3
    updates = audit_rows(event_id, "update")
    assert [(u.username, u.changes) for u in updates] == [
        ("liaison1", {"hospital": ["县人民医院", "市中心医院"]}),
        ("township1", {"kind": ["illness", "medical_aid"], "aid_amount_fen": [None, 80000]}),
    ]


def test_update_event_checks_the_merged_record(client, auth_headers, dummy_beneficiary):
    headers = auth_headers("liaison1")
    event_id = post_event(client, headers, dummy_beneficiary, kind="medical_aid",
                          aid_amount_fen=100).json["id"]
    response = client.patch(f"{EVENTS}/{event_id}", json={"kind": "illness"}, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"aid_amount_fen": ["只有医疗救助才能填写救助金额"]}
    ok = client.patch(f"{EVENTS}/{event_id}", json={"kind": "illness", "aid_amount_fen": None},
                      headers=headers)
    assert ok.status_code == 200
    assert ok.json["aid_amount_fen"] is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred_on": "tomorrow"}, "occurred_on", "不能晚于今天"),
        ({"occurred_on": None}, "occurred_on", "此项不能为空"),
        ({"kind": "cold"}, "kind", "不是可选的值"),
        ({"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}, "id", "不认识的字段"),
    ],
)
def test_update_event_validation(client, auth_headers, dummy_beneficiary, today, changes, field, message):
    if changes.get("occurred_on") == "tomorrow":
        changes = {"occurred_on": (today + timedelta(days=1)).isoformat()}
    headers = auth_headers("liaison1")
    event_id = post_event(client, headers, dummy_beneficiary).json["id"]
    response = client.patch(f"{EVENTS}/{event_id}", json=changes, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"][field] == [message]
    assert row(HealthEvent, event_id).version == 1


def test_event_cannot_move_to_another_person(client, auth_headers, county, user, dummy_beneficiary):
    other = factories.beneficiary(county.regions["V11"], user("admin"), name="钱二")
    headers = auth_headers("liaison1")
    event_id = post_event(client, headers, dummy_beneficiary).json["id"]
    same = client.patch(f"{EVENTS}/{event_id}", json={"beneficiary_id": str(dummy_beneficiary.id)},
                        headers=headers)
    assert same.status_code == 200
    response = client.patch(f"{EVENTS}/{event_id}", json={"beneficiary_id": str(other.id)},
                            headers=headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["不能更改记录所属的优抚对象"]}


def test_liaison_of_the_village_deletes_softly(client, auth_headers, dummy_beneficiary):
    event_id = post_event(client, auth_headers("liaison1"), dummy_beneficiary).json["id"]
    url = f"{EVENTS}/{event_id}"
    assert client.delete(url, headers=auth_headers("liaison1")).status_code == 204
    assert client.get(url, headers=auth_headers("liaison1")).status_code == 404
    assert client.get(EVENTS, headers=auth_headers("liaison1")).json["total"] == 0
    record = row(HealthEvent, event_id)
    assert record.deleted_at is not None and record.version == 2
    [deleted] = audit_rows(event_id, "delete")
    assert deleted.username == "liaison1"


def test_staff_delete_events(client, auth_headers, dummy_beneficiary):
    event_id = post_event(client, auth_headers("liaison1"), dummy_beneficiary).json["id"]
    assert client.delete(f"{EVENTS}/{event_id}", headers=auth_headers("township1")).status_code == 204
    assert row(HealthEvent, event_id).deleted_at is not None


def test_a_liaison_of_another_village_cannot_delete(client, auth_headers, dummy_beneficiary, user):
    event_id = post_event(client, auth_headers("liaison1"), dummy_beneficiary).json["id"]
    event = row(HealthEvent, event_id)
    with pytest.raises(NotFound):
        delete_health_event(event, user("liaison2"))
    assert event.deleted_at is None
