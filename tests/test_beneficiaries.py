import re

import pytest
from sqlalchemy import select, text

from server.beneficiaries.models import Beneficiary
from server.extensions import db
from server.records.models import AuditEntry
from tests import factories
from tests.factories import row

URL = "/api/v1/beneficiaries"
# The prefecture only: none of digits 15-18 beside the birth date and sex a list shows.
MASKED = re.compile(r"^\d{4}\*{14}$")


def create(client, headers, **overrides):
    values = factories.beneficiary_values(**overrides)
    values = {k: str(v) if k == "village_id" else v for k, v in values.items()}
    return client.post(URL, json=values, headers=headers), values


def test_liaison_creates_a_beneficiary_in_their_village(client, auth_headers, county):
    response, values = create(client, auth_headers("liaison1"), village_id=county.regions["V11"])
    assert response.status_code == 201, response.json
    body = response.json
    assert body["name"] == "张三"
    assert body["version"] == 1
    assert MASKED.match(body["id_number"])
    assert body["id_number"] != values["id_number"]
    assert body["id_number"] == values["id_number"][:4] + "*" * 14
    # sex and birth date come from the ID number when not given
    assert body["birth_date"] == "1960-05-04"
    assert body["sex"] in ("male", "female")


def test_client_made_uuid_is_kept(client, auth_headers, county):
    record_id = "0b7e6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    response, _ = create(client, auth_headers("liaison1"), village_id=county.regions["V11"], id=record_id)
    assert response.status_code == 201
    assert response.json["id"] == record_id


def test_id_number_is_encrypted_at_rest(client, auth_headers, county):
    response, values = create(client, auth_headers("liaison1"), village_id=county.regions["V11"])
    raw = db.session.execute(
        text("SELECT id_number_encrypted, id_number_masked FROM beneficiary")
    ).all()
    assert raw
    for encrypted, masked in raw:
        assert values["id_number"] not in encrypted
        assert MASKED.match(masked)


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("51082219600504001", "身份证号应为18位，前17位为数字，最后一位为数字或X"),
        ("510822196013040011", "身份证号中的出生日期无效"),
        ("510822196005040010", "身份证号校验位不正确"),
    ],
)
def test_bad_id_numbers_are_refused_in_chinese(client, auth_headers, county, id_number, message):
    response, _ = create(
        client, auth_headers("liaison1"), village_id=county.regions["V11"], id_number=id_number
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"]["id_number"] == [message]


def test_duplicate_id_number_is_refused(client, auth_headers, county):
    headers = auth_headers("liaison1")
    first, values = create(client, headers, village_id=county.regions["V11"])
    assert first.status_code == 201
    second, _ = create(client, headers, village_id=county.regions["V11"], id_number=values["id_number"])
    assert second.status_code == 422
    assert second.json["errors"]["id_number"] == ["该身份证号已登记"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "请输入正确的手机号（11位）或座机号（如 0817-1234567）"),
        ({"category": "soldier"}, "category", "不是可选的值"),
        ({"category": "disabled_serviceman"}, "disability_grade", "伤残军人须填写伤残等级"),
        ({"disability_grade": 3}, "disability_grade", "只有伤残军人才有伤残等级"),
        ({"category": "disabled_serviceman", "disability_grade": 11}, "disability_grade",
         "应不小于 1 且不大于 10"),
        ({"is_migrant": True}, "work_city", "外出务工人员须填写务工城市"),
        ({"birth_date": "1961-01-01"}, "birth_date", "与身份证号中的出生日期不一致"),
        ({"name": " "}, "name", "此项不能为空"),
        ({"nickname": "x"}, "nickname", "不认识的字段"),
    ],
)
def test_validation_messages(client, auth_headers, county, overrides, field, message):
    response, _ = create(client, auth_headers("liaison1"), village_id=county.regions["V11"], **overrides)
    assert response.status_code == 422
    assert message in response.json["errors"][field]


def test_landline_is_accepted(client, auth_headers, county):
    response, _ = create(client, auth_headers("liaison1"), village_id=county.regions["V11"],
                         phone="0839-6221234")
    assert response.status_code == 201
    assert response.json["phone"] == "0839-6221234"


def test_liaison_cannot_create_in_another_village(client, auth_headers, county):
    response, _ = create(client, auth_headers("liaison1"), village_id=county.regions["V12"])
    assert response.status_code == 422
    assert response.json["errors"]["village_id"] == ["不在您的管辖范围内"]


def test_list_is_scoped_and_masked(client, auth_headers, dummy_beneficiary, other_beneficiary):
    for username, expected in [
        ("liaison1", {dummy_beneficiary.name}),
        ("liaison3", {other_beneficiary.name}),
        ("township1", {dummy_beneficiary.name}),
        ("township2", {other_beneficiary.name}),
        ("county1", {dummy_beneficiary.name, other_beneficiary.name}),
    ]:
        body = client.get(URL, headers=auth_headers(username)).json
        assert {item["name"] for item in body["items"]} == expected, username
        assert body["total"] == len(expected)
        assert all(MASKED.match(item["id_number"]) for item in body["items"])


def test_list_filters_and_search(client, auth_headers, county, user):
    admin = user("admin")
    factories.beneficiary(county.regions["V11"], admin, name="王建国", category="retired_soldier")
    factories.beneficiary(county.regions["V12"], admin, name="李秀英", is_migrant=True, work_city="广州")
    factories.beneficiary(county.regions["V21"], admin, name="王小明", status="deceased")
    headers = auth_headers("county1")

    def names(**params):
        return sorted(i["name"] for i in client.get(URL, query_string=params, headers=headers).json["items"])

    assert names(q="王") == ["王小明", "王建国"]
    assert names(village_id=str(county.regions["V12"])) == ["李秀英"]
    assert names(township_id=str(county.regions["T1"])) == ["李秀英", "王建国"]
    assert names(category="retired_soldier") == ["王建国"]
    assert names(is_migrant="true") == ["李秀英"]
    assert names(status="deceased") == ["王小明"]
    assert names(q="%") == []


def test_pagination(client, auth_headers, county, user):
    for index in range(5):
        factories.beneficiary(county.regions["V11"], user("admin"), name=f"测试{index}")
    page = client.get(URL, query_string={"per_page": 2, "page": 3}, headers=auth_headers("liaison1")).json
    assert page["total"] == 5
    assert page["page"] == 3
    assert len(page["items"]) == 1


def test_other_areas_record_is_404(client, auth_headers, other_beneficiary):
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(
            f"{URL}/{other_beneficiary.id}", json={} if method == "patch" else None,
            headers=auth_headers("township1"),
        )
        assert response.status_code == 404, method
        assert response.mimetype == "application/problem+json"


def test_update_bumps_version_and_audits(client, auth_headers, dummy_beneficiary):
    response = client.patch(f"{URL}/{dummy_beneficiary.id}", json={"phone": "13900001111"},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert response.json["phone"] == "13900001111"
    assert response.json["version"] == 2
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_id == str(dummy_beneficiary.id),
                                 AuditEntry.action == "update")
    ).one()
    assert entry.changes == {"phone": ["13800138000", "13900001111"]}
    assert entry.username == "liaison1"


def test_update_with_no_change_keeps_version(client, auth_headers, dummy_beneficiary):
    response = client.patch(f"{URL}/{dummy_beneficiary.id}", json={"phone": "13800138000"},
                            headers=auth_headers("liaison1"))
    assert response.json["version"] == 1


def test_update_checks_rules_on_the_merged_record(client, auth_headers, dummy_beneficiary):
    response = client.patch(f"{URL}/{dummy_beneficiary.id}", json={"category": "disabled_serviceman"},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"]["disability_grade"] == ["伤残军人须填写伤残等级"]
    ok = client.patch(f"{URL}/{dummy_beneficiary.id}",
                      json={"category": "disabled_serviceman", "disability_grade": 4},
                      headers=auth_headers("liaison1"))
    assert ok.status_code == 200


def test_move_to_another_village_takes_dependants_along(client, auth_headers, dummy_beneficiary, county):
    from datetime import date

    from server.health.models import HealthEvent
    from server.records.versioning import create_record

    event = create_record(HealthEvent(beneficiary_id=dummy_beneficiary.id, village_id=dummy_beneficiary.village_id,
                                      kind="illness", occurred_on=date(2026, 1, 1)), None)
    db.session.commit()
    response = client.patch(f"{URL}/{dummy_beneficiary.id}", json={"village_id": str(county.regions["V21"])},
                            headers=auth_headers("county1"))
    assert response.status_code == 200
    db.session.refresh(event)
    assert event.village_id == county.regions["V21"]
    # the liaison of the old village no longer sees the person
    assert client.get(f"{URL}/{dummy_beneficiary.id}", headers=auth_headers("liaison1")).status_code == 404


def test_liaison_cannot_move_a_person_out_of_scope(client, auth_headers, dummy_beneficiary, county):
    response = client.patch(f"{URL}/{dummy_beneficiary.id}", json={"village_id": str(county.regions["V21"])},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"]["village_id"] == ["不在您的管辖范围内"]


def test_only_staff_delete_and_delete_is_soft(client, auth_headers, dummy_beneficiary):
    url = f"{URL}/{dummy_beneficiary.id}"
    assert client.delete(url, headers=auth_headers("liaison1")).status_code == 403
    assert client.delete(url, headers=auth_headers("township1")).status_code == 204
    assert client.get(url, headers=auth_headers("township1")).status_code == 404
    row = db.session.get(Beneficiary, dummy_beneficiary.id)
    assert row is not None and row.deleted_at is not None and row.version == 2


def test_full_id_number_is_its_own_audited_request(client, auth_headers, county, user):
    response, values = create(client, auth_headers("liaison1"), village_id=county.regions["V11"])
    record_id = response.json["id"]
    reveal = client.get(f"{URL}/{record_id}/id-number", headers=auth_headers("township1"))
    assert reveal.status_code == 200
    assert reveal.json["id_number"] == values["id_number"]
    reads = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "read_id_number", AuditEntry.record_id == record_id)
    ).all()
    assert [r.username for r in reads] == ["township1"]
    assert client.get(f"{URL}/{record_id}/id-number", headers=auth_headers("liaison3")).status_code == 404


def test_no_list_contains_a_full_id_number(client, auth_headers, county):
    response, values = create(client, auth_headers("liaison1"), village_id=county.regions["V11"])
    for url in (URL, f"{URL}/{response.json['id']}"):
        assert values["id_number"] not in client.get(url, headers=auth_headers("county1")).get_data(as_text=True)


# --- pinyin initials for the phone's search --------------------------------------------


def test_the_server_sets_the_names_pinyin_initials(client, auth_headers, county):
    headers = auth_headers("liaison1")
    created = client.post("/api/v1/beneficiaries", headers=headers, json=factories.beneficiary_values(
        str(county.regions["V11"]), name="张国强"))
    assert created.status_code == 201, created.json
    assert created.json["name_initials"] == "zgq"
    person_id = created.json["id"]
    # a phone (or a form) cannot set them; a new name sets them afresh
    ignored = client.patch(f"/api/v1/beneficiaries/{person_id}", headers=headers,
                           json={"name_initials": "abc"})
    assert ignored.status_code == 422
    renamed = client.patch(f"/api/v1/beneficiaries/{person_id}", headers=headers,
                           json={"name": "欧阳秀英"})
    assert renamed.json["name_initials"] == "oyxy"
    assert row(Beneficiary, person_id).name_initials == "oyxy"
