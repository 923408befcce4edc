import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from server.extensions import db
from server.mediation.models import MediationCase
from server.records.versioning import create_record
from server.users.operations import create_user, start_session
from server.visits.models import Visit, VisitTask
from tests import factories
from tests.factories import audit_rows, row

URL = "/api/v1/visits"
TASKS = "/api/v1/visit-tasks"
LOCKED = "已审核，不能修改"
UNKNOWN_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def post_visit(client, headers, beneficiary, **overrides):
    values = {
        "beneficiary_id": str(beneficiary.id),
        "visit_type": "monthly",
        "visited_on": "2026-03-18",
        "summary": "身体尚好，春耕已准备",
    }
    values.update(overrides)
    values = {k: v for k, v in values.items() if v is not ...}
    return client.post(URL, json=values, headers=headers)


def make_visit(client, auth_headers, beneficiary, username="liaison1", **overrides):
    response = post_visit(client, auth_headers(username), beneficiary, **overrides)
    assert response.status_code == 201, response.json
    return response.json


def review(client, headers, visit_id, decision, comment=None):
    body = {"decision": decision}
    if comment is not None:
        body["comment"] = comment
    return client.post(f"{URL}/{visit_id}/review", json=body, headers=headers)


def mediation_case(beneficiary):
    case = create_record(MediationCase(
        beneficiary_id=beneficiary.id, village_id=beneficiary.village_id, kind="land",
        parties="张三与李四", opened_on=date(2026, 2, 1), status="open",
    ), None)
    db.session.commit()
    return case


def monthly_task(beneficiary, period, status="due"):
    year, month = (int(part) for part in period.split("-"))
    task = create_record(VisitTask(
        beneficiary_id=beneficiary.id, village_id=beneficiary.village_id, kind="monthly",
        period=period, due_on=date(year, month, 18), status=status,
    ), None)
    db.session.commit()
    return task


# --- create ----------------------------------------------------------------------------


def test_liaison_records_a_visit(client, auth_headers, dummy_beneficiary, county):
    response = post_visit(client, auth_headers("liaison1"), dummy_beneficiary)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["version"] == 1
    assert body["liaison_id"] == county.users["liaison1"]
    assert body["village_id"] == str(county.regions["V11"])
    assert body["review_status"] == "pending"
    assert body["review_comment"] is None and body["reviewed_at"] is None
    assert (body["details"], body["photo_ids"], body["location"]) == ({}, [], None)
    assert body["case_id"] is None
    [created] = audit_rows(body["id"], "create")
    assert created.username == "liaison1"
    # the summary is health data: the audit row says it was set, never what it says
    assert created.changes["summary"] == "（已加密，不记录）"
    assert created.changes["visit_type"] == "monthly"


def test_wire_fields_are_all_there(client, auth_headers, dummy_beneficiary):
    body = make_visit(client, auth_headers, dummy_beneficiary)
    wire = {
        "id", "version", "updated_at", "beneficiary_id", "visit_type", "visited_on", "summary",
        "needs", "actions", "follow_up_due", "photo_ids", "location", "liaison_id",
        "review_status", "review_comment", "details", "case_id", "village_id",
    }
    assert wire <= set(body)


def test_only_four_fields_are_required(client, auth_headers, dummy_beneficiary):
    response = client.post(URL, json={}, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {
        name: ["此项必填"] for name in ("beneficiary_id", "visit_type", "visited_on", "summary")
    }


@pytest.mark.parametrize(
    ("visit_type", "details"),
    [
        ("monthly", {"living": "温饱无忧", "production": "种了三亩油菜", "health": "腿脚不便"}),
        ("sick", {"illness": "肺炎", "hospital": "县人民医院", "treatment": "住院七天",
                  "aid_needed": True}),
        ("hardship", {"difficulty": "housing", "help_pledged": "危房改造", "helper": "王书记",
                      "plan": "五定一包：年底前完工"}),
        ("good_news", {"merit": "儿子荣立三等功", "award": "喜报一张、慰问金"}),
        ("mediation", {}),
    ],
)
def test_each_visit_type_keeps_its_details(client, auth_headers, dummy_beneficiary, visit_type, details):
    case = {"case_id": str(mediation_case(dummy_beneficiary).id)} if visit_type == "mediation" else {}
    body = make_visit(client, auth_headers, dummy_beneficiary, visit_type=visit_type, details=details,
                      **case)
    assert body["visit_type"] == visit_type
    assert body["details"] == details
    assert row(Visit, body["id"]).details == details


def test_a_full_visit_round_trips(client, auth_headers, dummy_beneficiary):
    photos = [str(uuid.uuid4()) for _ in range(9)]
    body = make_visit(
        client, auth_headers, dummy_beneficiary, needs="屋顶漏雨", actions="已报乡镇",
        follow_up_due="2026-04-18", photo_ids=photos,
        location={"lat": 31.2, "lng": 105.3, "accuracy": 25.0},
    )
    assert body["needs"] == "屋顶漏雨" and body["actions"] == "已报乡镇"
    assert body["follow_up_due"] == "2026-04-18"
    assert body["photo_ids"] == photos
    assert body["location"] == {"lat": 31.2, "lng": 105.3, "accuracy": 25.0}
    fetched = client.get(f"{URL}/{body['id']}", headers=auth_headers("liaison1")).json
    assert fetched == body


def test_detail_booleans_are_stored_as_booleans(client, auth_headers, dummy_beneficiary):
    body = make_visit(client, auth_headers, dummy_beneficiary, visit_type="sick",
                      details={"aid_needed": "true"})
    assert body["details"] == {"aid_needed": True}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"visited_on": "tomorrow"}, "visited_on", ["不能晚于今天"]),
        ({"visited_on": "18/03/2026"}, "visited_on", ["日期格式应为 YYYY-MM-DD"]),
        ({"visit_type": "weekly"}, "visit_type", ["不是可选的值"]),
        ({"summary": ""}, "summary", ["此项不能为空"]),
        ({"summary": None}, "summary", ["此项不能为空"]),
        ({"beneficiary_id": "abc"}, "beneficiary_id", ["编号格式无效"]),
        ({"follow_up_due": "2026-03-17"}, "follow_up_due", ["不能早于走访日期"]),
        ({"details": {"award": "奖状"}}, "details", {"award": ["不认识的字段"]}),
        ({"details": "很好"}, "details", ["应为对象"]),
        ({"visit_type": "hardship", "details": {"difficulty": "money"}}, "details",
         {"difficulty": ["不是可选的值"]}),
        ({"visit_type": "mediation", "details": {"notes": "x"}}, "details",
         {"notes": ["不认识的字段"]}),
        ({"visit_type": "mediation"}, "case_id", ["纠纷上门调解须选择或新建调解案件"]),
        ({"visit_type": "mediation", "case_id": None}, "case_id",
         ["纠纷上门调解须选择或新建调解案件"]),
        ({"visit_type": "sick", "details": {"aid_needed": "maybe"}}, "details",
         {"aid_needed": ["应为是或否"]}),
        ({"case_id": UNKNOWN_ID}, "case_id", ["只有纠纷调解走访才能关联调解案件"]),
        ({"photo_ids": [UNKNOWN_ID] * 10}, "photo_ids", ["最多 9 张照片"]),
        ({"photo_ids": ["photo-1"]}, "photo_ids", {"0": ["编号格式无效"]}),
        ({"location": {"lat": 91, "lng": 105}}, "location", {"lat": ["应不小于 -90 且不大于 90"]}),
        ({"location": {"lat": 31, "lng": -181}}, "location", {"lng": ["应不小于 -180 且不大于 180"]}),
        ({"location": {"lat": 31, "lng": 105, "accuracy": -1}}, "location",
         {"accuracy": ["应不小于 0"]}),
        ({"location": {"lat": 31}}, "location", {"lng": ["此项必填"]}),
        ({"liaison_id": 1}, "liaison_id", ["不认识的字段"]),
        ({"village_id": UNKNOWN_ID}, "village_id", ["不认识的字段"]),
        ({"review_status": "approved"}, "review_status", ["不认识的字段"]),
    ],
)
def test_create_validation(client, auth_headers, dummy_beneficiary, today, overrides, field, message):
    if overrides.get("visited_on") == "tomorrow":
        overrides = {"visited_on": (today + timedelta(days=1)).isoformat()}
    response = post_visit(client, auth_headers("liaison1"), dummy_beneficiary, **overrides)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][field] == message
    assert db.session.scalar(select(Visit.id)) is None


def test_today_is_allowed(client, auth_headers, dummy_beneficiary, today):
    body = make_visit(client, auth_headers, dummy_beneficiary, visited_on=today.isoformat())
    assert body["visited_on"] == today.isoformat()


def test_liaison_cannot_record_for_another_village(client, auth_headers, other_beneficiary):
    response = post_visit(client, auth_headers("liaison1"), other_beneficiary)
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["不在您的管辖范围内"]}
    township = post_visit(client, auth_headers("township1"), other_beneficiary)
    assert township.json["errors"] == {"beneficiary_id": ["不在您的管辖范围内"]}


def test_unknown_beneficiary_gets_the_same_answer(client, auth_headers, dummy_beneficiary):
    response = post_visit(client, auth_headers("liaison1"), dummy_beneficiary, beneficiary_id=UNKNOWN_ID)
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["不在您的管辖范围内"]}


def test_a_deceased_persons_family_can_be_visited(client, auth_headers, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"), status="deceased")
    assert post_visit(client, auth_headers("liaison1"), person).status_code == 201


def test_staff_record_visits_as_themselves(client, auth_headers, dummy_beneficiary, county):
    body = make_visit(client, auth_headers, dummy_beneficiary, username="township1")
    assert body["liaison_id"] == county.users["township1"]
    assert body["village_id"] == str(county.regions["V11"])


def test_client_made_id_is_kept_once(client, auth_headers, dummy_beneficiary):
    body = make_visit(client, auth_headers, dummy_beneficiary, id=UNKNOWN_ID)
    assert body["id"] == UNKNOWN_ID
    again = post_visit(client, auth_headers("liaison1"), dummy_beneficiary, id=UNKNOWN_ID)
    assert again.status_code == 422
    assert again.json["errors"] == {"id": ["该编号已被使用"]}
    assert len(db.session.scalars(select(Visit.id)).all()) == 1


def test_mediation_visit_links_a_case_of_the_same_person(client, auth_headers, county, user,
                                                        dummy_beneficiary):
    case = mediation_case(dummy_beneficiary)
    body = make_visit(client, auth_headers, dummy_beneficiary, visit_type="mediation",
                      case_id=str(case.id))
    assert body["case_id"] == str(case.id)
    neighbour = factories.beneficiary(county.regions["V11"], user("admin"), name="李四")
    response = post_visit(client, auth_headers("liaison1"), neighbour, visit_type="mediation",
                          case_id=str(case.id))
    assert response.status_code == 422
    assert response.json["errors"] == {"case_id": ["调解案件不存在或不属于该优抚对象"]}
    missing = post_visit(client, auth_headers("liaison1"), dummy_beneficiary, visit_type="mediation",
                         case_id=UNKNOWN_ID)
    assert missing.json["errors"] == {"case_id": ["调解案件不存在或不属于该优抚对象"]}


# --- read and list ---------------------------------------------------------------------


def test_list_is_scoped(client, auth_headers, county, user, dummy_beneficiary, other_beneficiary):
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="李乙村")
    make_visit(client, auth_headers, dummy_beneficiary)
    make_visit(client, auth_headers, v12, username="liaison2")
    make_visit(client, auth_headers, other_beneficiary, username="liaison3")
    for username, expected in [
        ("liaison1", {dummy_beneficiary.id}),
        ("liaison2", {v12.id}),
        ("liaison3", {other_beneficiary.id}),
        ("township1", {dummy_beneficiary.id, v12.id}),
        ("township2", {other_beneficiary.id}),
        ("county1", {dummy_beneficiary.id, v12.id, other_beneficiary.id}),
        ("admin", {dummy_beneficiary.id, v12.id, other_beneficiary.id}),
    ]:
        body = client.get(URL, headers=auth_headers(username)).json
        assert {item["beneficiary_id"] for item in body["items"]} == {str(i) for i in expected}, username
        assert body["total"] == len(expected)


def test_list_filters_and_order(client, auth_headers, county, user, dummy_beneficiary,
                                other_beneficiary):
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="李乙村")
    made = {
        "a": make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-18"),
        "b": make_visit(client, auth_headers, dummy_beneficiary, visit_type="sick",
                        visited_on="2026-04-02"),
        "c": make_visit(client, auth_headers, v12, username="liaison2", visited_on="2026-03-31"),
        "d": make_visit(client, auth_headers, other_beneficiary, username="liaison3",
                        visit_type="hardship", visited_on="2026-02-28"),
    }
    review(client, auth_headers("township1"), made["c"]["id"], "approve")
    review(client, auth_headers("township2"), made["d"]["id"], "return", "请补充照片")
    names = {body["id"]: key for key, body in made.items()}
    headers = auth_headers("county1")

    def keys(**params):
        response = client.get(URL, query_string=params, headers=headers)
        assert response.status_code == 200, response.json
        return [names[item["id"]] for item in response.json["items"]]

    assert keys() == ["b", "c", "a", "d"]  # newest visit first
    assert keys(village_id=str(county.regions["V11"])) == ["b", "a"]
    assert keys(township_id=str(county.regions["T1"])) == ["b", "c", "a"]
    assert keys(township_id=str(county.regions["T2"])) == ["d"]
    assert keys(beneficiary_id=str(v12.id)) == ["c"]
    assert keys(liaison_id=county.users["liaison1"]) == ["b", "a"]
    assert keys(liaison_id=county.users["liaison3"]) == ["d"]
    assert keys(month="2026-03") == ["c", "a"]
    assert keys(month="2026-04") == ["b"]
    assert keys(month="2026-01") == []
    assert keys(visit_type="hardship") == ["d"]
    assert keys(review_status="approved") == ["c"]
    assert keys(review_status="returned") == ["d"]
    assert keys(review_status="pending") == ["b", "a"]
    assert keys(month="2026-03", review_status="pending") == ["a"]
    page = client.get(URL, query_string={"per_page": 3, "page": 2}, headers=headers).json
    assert (page["total"], page["page"], page["per_page"]) == (4, 2, 3)
    assert [names[item["id"]] for item in page["items"]] == ["d"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month": "2026-00"}, "month", "月份格式应为 YYYY-MM"),
        ({"month": "March"}, "month", "月份格式应为 YYYY-MM"),
        ({"visit_type": "weekly"}, "visit_type", "不是可选的值"),
        ({"review_status": "done"}, "review_status", "不是可选的值"),
        ({"liaison_id": "liaison1"}, "liaison_id", "应为整数"),
        ({"township_id": "T1"}, "township_id", "编号格式无效"),
    ],
)
def test_list_rejects_bad_filters(client, auth_headers, params, field, message):
    response = client.get(URL, query_string=params, headers=auth_headers("county1"))
    assert response.status_code == 422
    assert response.json["errors"][field] == [message]


def test_another_areas_visit_is_404_everywhere(client, auth_headers, other_beneficiary):
    visit_id = make_visit(client, auth_headers, other_beneficiary, username="liaison3")["id"]
    requests = [
        ("get", f"{URL}/{visit_id}", None),
        ("patch", f"{URL}/{visit_id}", {"summary": "改"}),
        ("delete", f"{URL}/{visit_id}", None),
        ("post", f"{URL}/{visit_id}/review", {"decision": "approve"}),
    ]
    for username in ("liaison1", "township1"):
        for method, url, body in requests:
            response = getattr(client, method)(url, json=body, headers=auth_headers(username))
            assert response.status_code == 404, (username, method, url)
            assert response.mimetype == "application/problem+json"
    visit = row(Visit, visit_id)
    assert (visit.version, visit.summary, visit.deleted_at) == (1, "身体尚好，春耕已准备", None)
    assert client.get(f"{URL}/{visit_id}", headers=auth_headers("county1")).status_code == 200


def test_unknown_visit_is_404(client, auth_headers):
    response = client.get(f"{URL}/{UNKNOWN_ID}", headers=auth_headers("county1"))
    assert response.status_code == 404
    assert response.json["detail"] == "记录不存在或已删除"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", URL), ("post", URL), ("get", f"{URL}/{UNKNOWN_ID}"), ("patch", f"{URL}/{UNKNOWN_ID}"),
        ("delete", f"{URL}/{UNKNOWN_ID}"), ("post", f"{URL}/{UNKNOWN_ID}/review"), ("get", TASKS),
    ],
)
def test_every_endpoint_needs_a_login(client, method, url):
    response = getattr(client, method)(url, json={} if method in ("post", "patch") else None)
    assert response.status_code == 401


# --- update ----------------------------------------------------------------------------


def test_owner_updates_version_and_audit_once_per_change(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    headers = auth_headers("liaison1")
    first = client.patch(f"{URL}/{visit_id}", json={"summary": "已复查"}, headers=headers)
    assert first.status_code == 200
    assert (first.json["summary"], first.json["version"]) == ("已复查", 2)
    second = client.patch(f"{URL}/{visit_id}", json={"needs": "需要轮椅", "photo_ids": [UNKNOWN_ID]},
                          headers=headers)
    assert second.json["version"] == 3
    assert second.json["photo_ids"] == [UNKNOWN_ID]
    same = client.patch(f"{URL}/{visit_id}", json={"summary": "已复查"}, headers=headers)
    assert same.json["version"] == 3
    assert [entry.changes for entry in audit_rows(visit_id, "update")] == [
        {"summary": ["（已加密，不记录）", "（已加密，不记录）"]},
        {"needs": [None, "（已加密，不记录）"], "photo_ids": [[], [UNKNOWN_ID]]},
    ]
    assert row(Visit, visit_id).field_versions["needs"] == 3


def test_staff_may_correct_a_liaisons_visit(client, auth_headers, dummy_beneficiary, county):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    response = client.patch(f"{URL}/{visit_id}", json={"visited_on": "2026-03-17"},
                            headers=auth_headers("township1"))
    assert response.status_code == 200
    assert response.json["visited_on"] == "2026-03-17"
    assert response.json["liaison_id"] == county.users["liaison1"]
    [entry] = audit_rows(visit_id, "update")
    assert entry.username == "township1"


def test_another_liaison_of_the_village_cannot_change_it(client, auth_headers, dummy_beneficiary,
                                                         county):
    colleague = create_user(username="liaison1b", password=factories.PASSWORD, role="liaison",
                            region_id=county.regions["V11"])
    access, _refresh = start_session(colleague)
    db.session.commit()
    headers = {"Authorization": f"Bearer {access}"}
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    assert client.get(f"{URL}/{visit_id}", headers=headers).status_code == 200
    for method, body in (("patch", {"summary": "改"}), ("delete", None)):
        response = getattr(client, method)(f"{URL}/{visit_id}", json=body, headers=headers)
        assert response.status_code == 403, method
        assert response.json["detail"] == "只有记录走访的联络员或民政干部可以修改"
    visit = row(Visit, visit_id)
    assert (visit.version, visit.deleted_at) == (1, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"visited_on": "tomorrow"}, "visited_on", ["不能晚于今天"]),
        ({"visited_on": None}, "visited_on", ["此项不能为空"]),
        ({"summary": ""}, "summary", ["此项不能为空"]),
        ({"visited_on": "2026-04-20"}, "follow_up_due", ["不能早于走访日期"]),
        ({"visit_type": "sick"}, "details", {"living": ["不认识的字段"]}),
        ({"case_id": UNKNOWN_ID}, "case_id", ["只有纠纷调解走访才能关联调解案件"]),
        ({"location": {"lat": 31}}, "location", {"lng": ["此项必填"]}),
        ({"beneficiary_id": UNKNOWN_ID}, "beneficiary_id", ["不能更改记录所属的优抚对象"]),
        ({"review_status": "approved"}, "review_status", ["不认识的字段"]),
        ({"id": UNKNOWN_ID}, "id", ["不认识的字段"]),
    ],
)
def test_update_validation(client, auth_headers, dummy_beneficiary, today, changes, field, message):
    if changes.get("visited_on") == "tomorrow":
        changes = {"visited_on": (today + timedelta(days=1)).isoformat()}
    visit_id = make_visit(client, auth_headers, dummy_beneficiary, follow_up_due="2026-04-18",
                          details={"living": "尚可"})["id"]
    response = client.patch(f"{URL}/{visit_id}", json=changes, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"][field] == message
    assert row(Visit, visit_id).version == 1


def test_changing_the_type_revalidates_details(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary, details={"living": "尚可"})["id"]
    response = client.patch(f"{URL}/{visit_id}", headers=auth_headers("liaison1"), json={
        "visit_type": "sick", "details": {"illness": "感冒", "aid_needed": False},
    })
    assert response.status_code == 200
    assert response.json["details"] == {"illness": "感冒", "aid_needed": False}


def test_a_mediation_visit_keeps_a_case(client, auth_headers, dummy_beneficiary):
    case, other = mediation_case(dummy_beneficiary), mediation_case(dummy_beneficiary)
    visit_id = make_visit(client, auth_headers, dummy_beneficiary, visit_type="mediation",
                          case_id=str(case.id))["id"]
    headers = auth_headers("liaison1")
    moved = client.patch(f"{URL}/{visit_id}", json={"case_id": str(other.id)}, headers=headers)
    assert moved.status_code == 200
    assert moved.json["case_id"] == str(other.id)
    unlinked = client.patch(f"{URL}/{visit_id}", json={"case_id": None}, headers=headers)
    assert unlinked.status_code == 422
    assert unlinked.json["errors"] == {"case_id": ["纠纷上门调解须选择或新建调解案件"]}
    # a monthly visit turned into a mediation visit needs its case too
    monthly = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    turned = client.patch(f"{URL}/{monthly}", json={"visit_type": "mediation"}, headers=headers)
    assert turned.status_code == 422
    assert turned.json["errors"] == {"case_id": ["纠纷上门调解须选择或新建调解案件"]}
    assert row(Visit, monthly).visit_type == "monthly"


# --- review ----------------------------------------------------------------------------


def test_staff_approve(client, auth_headers, dummy_beneficiary, county):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    response = review(client, auth_headers("township1"), visit_id, "approve", "记录完整")
    assert response.status_code == 200
    body = response.json
    assert (body["review_status"], body["review_comment"], body["version"]) == ("approved", "记录完整", 2)
    assert body["reviewed_by_id"] == county.users["township1"]
    assert body["reviewed_at"] is not None
    [entry] = audit_rows(visit_id, "review")
    assert entry.username == "township1"
    assert entry.changes["review_status"] == ["pending", "approved"]


def test_liaison_cannot_review(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    response = review(client, auth_headers("liaison1"), visit_id, "approve")
    assert response.status_code == 403
    assert response.json["code"] == "role_forbidden"
    assert row(Visit, visit_id).review_status == "pending"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"decision": "return"}, "comment", "退回时须填写意见"),
        ({"decision": "return", "comment": "  "}, "comment", "退回时须填写意见"),
        ({"decision": "maybe"}, "decision", "不是可选的值"),
        ({}, "decision", "此项必填"),
    ],
)
def test_review_validation(client, auth_headers, dummy_beneficiary, body, field, message):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    response = client.post(f"{URL}/{visit_id}/review", json=body, headers=auth_headers("county1"))
    assert response.status_code == 422
    assert response.json["errors"][field] == [message]
    assert row(Visit, visit_id).version == 1


def test_an_approved_visit_is_locked(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    review(client, auth_headers("county1"), visit_id, "approve")
    for username in ("liaison1", "township1"):
        for method, url, body in (
            ("patch", f"{URL}/{visit_id}", {"summary": "改"}),
            ("delete", f"{URL}/{visit_id}", None),
            ("post", f"{URL}/{visit_id}/review", {"decision": "return", "comment": "重审"}),
        ):
            response = getattr(client, method)(url, json=body, headers=auth_headers(username))
            if username == "liaison1" and url.endswith("/review"):
                assert response.status_code == 403
                continue
            assert response.status_code == 409, (username, method)
            assert response.json["code"] == "visit_locked"
            assert response.json["detail"] == LOCKED
            assert response.json["errors"] == {"review_status": [LOCKED]}
    visit = row(Visit, visit_id)
    assert (visit.version, visit.summary, visit.review_status, visit.deleted_at) == (
        2, "身体尚好，春耕已准备", "approved", None)


def test_editing_a_returned_visit_resubmits_it(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    returned = review(client, auth_headers("township1"), visit_id, "return", "请写明诉求")
    assert (returned.json["review_status"], returned.json["review_comment"]) == ("returned", "请写明诉求")
    # the liaison sees the comment
    seen = client.get(f"{URL}/{visit_id}", headers=auth_headers("liaison1")).json
    assert seen["review_comment"] == "请写明诉求"
    unchanged = client.patch(f"{URL}/{visit_id}", json={"needs": None}, headers=auth_headers("liaison1"))
    assert (unchanged.json["review_status"], unchanged.json["version"]) == ("returned", 2)
    response = client.patch(f"{URL}/{visit_id}", json={"needs": "希望解决饮水"},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert (response.json["review_status"], response.json["version"]) == ("pending", 3)
    [entry] = audit_rows(visit_id, "update")
    assert entry.changes == {"needs": [None, "（已加密，不记录）"],
                             "review_status": ["returned", "pending"]}
    approved = review(client, auth_headers("township1"), visit_id, "approve")
    assert (approved.json["review_status"], approved.json["version"]) == ("approved", 4)


def test_review_is_scoped(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    assert review(client, auth_headers("township2"), visit_id, "approve").status_code == 404
    assert review(client, auth_headers("admin"), visit_id, "approve").status_code == 200


# --- delete ----------------------------------------------------------------------------


def test_owner_deletes_softly(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    assert client.delete(f"{URL}/{visit_id}", headers=auth_headers("liaison1")).status_code == 204
    assert client.get(f"{URL}/{visit_id}", headers=auth_headers("liaison1")).status_code == 404
    assert client.get(URL, headers=auth_headers("county1")).json["total"] == 0
    visit = row(Visit, visit_id)
    assert visit.deleted_at is not None and visit.version == 2
    [entry] = audit_rows(visit_id, "delete")
    assert entry.username == "liaison1"


def test_staff_delete_a_returned_visit(client, auth_headers, dummy_beneficiary):
    visit_id = make_visit(client, auth_headers, dummy_beneficiary)["id"]
    review(client, auth_headers("township1"), visit_id, "return", "重复录入")
    assert client.delete(f"{URL}/{visit_id}", headers=auth_headers("township1")).status_code == 204
    assert row(Visit, visit_id).deleted_at is not None


# --- monthly tasks ---------------------------------------------------------------------


def test_a_monthly_visit_closes_the_task_of_its_month(client, auth_headers, dummy_beneficiary):
    march = monthly_task(dummy_beneficiary, "2026-03")
    april = monthly_task(dummy_beneficiary, "2026-04")
    visit_id = make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-18")["id"]
    db.session.refresh(march)
    db.session.refresh(april)
    assert (march.status, march.done_visit_id, march.version) == ("done", uuid.UUID(visit_id), 2)
    assert (april.status, april.done_visit_id, april.version) == ("due", None, 1)
    [entry] = audit_rows(march.id, "update")
    assert entry.changes == {"status": ["due", "done"], "done_visit_id": [None, visit_id]}
    assert entry.username == "liaison1"


def test_an_overdue_task_is_closed_too(client, auth_headers, dummy_beneficiary):
    task = monthly_task(dummy_beneficiary, "2026-03", status="overdue")
    make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-30")
    db.session.refresh(task)
    assert task.status == "done"


def test_other_visit_types_leave_tasks_alone(client, auth_headers, dummy_beneficiary, county, user):
    task = monthly_task(dummy_beneficiary, "2026-03")
    neighbour = factories.beneficiary(county.regions["V11"], user("admin"), name="李四")
    make_visit(client, auth_headers, dummy_beneficiary, visit_type="sick", visited_on="2026-03-18")
    make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-02-18")
    make_visit(client, auth_headers, neighbour, visited_on="2026-03-18")
    db.session.refresh(task)
    assert (task.status, task.version) == ("due", 1)


def test_a_second_monthly_visit_leaves_the_closed_task_alone(client, auth_headers, dummy_beneficiary):
    task = monthly_task(dummy_beneficiary, "2026-03")
    first = make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-18")["id"]
    make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-25")
    db.session.refresh(task)
    assert (task.done_visit_id, task.version) == (uuid.UUID(first), 2)


def test_deleting_the_visit_reopens_its_task(client, auth_headers, dummy_beneficiary):
    task = monthly_task(dummy_beneficiary, "2026-03")
    first = make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-18")["id"]
    second = make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-25")["id"]
    client.delete(f"{URL}/{first}", headers=auth_headers("liaison1"))
    db.session.refresh(task)
    assert (task.status, task.done_visit_id) == ("done", uuid.UUID(second))  # handed on
    client.delete(f"{URL}/{second}", headers=auth_headers("liaison1"))
    db.session.refresh(task)
    assert (task.status, task.done_visit_id) == ("due", None)


def test_moving_the_visit_to_another_month_moves_the_closed_task(client, auth_headers,
                                                                 dummy_beneficiary):
    march = monthly_task(dummy_beneficiary, "2026-03")
    april = monthly_task(dummy_beneficiary, "2026-04")
    visit_id = make_visit(client, auth_headers, dummy_beneficiary, visited_on="2026-03-18")["id"]
    client.patch(f"{URL}/{visit_id}", json={"visited_on": "2026-04-18"}, headers=auth_headers("liaison1"))
    db.session.refresh(march)
    db.session.refresh(april)
    assert (march.status, april.status, april.done_visit_id) == ("due", "done", uuid.UUID(visit_id))


# --- visit tasks (read-only list) ------------------------------------------------------


def test_task_list_is_scoped_and_filtered(client, auth_headers, county, user, dummy_beneficiary,
                                          other_beneficiary):
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="李乙村")
    db.session.execute(delete(VisitTask))  # this month's, made at registration: not named here
    tasks = {
        "a": monthly_task(dummy_beneficiary, "2026-03"),
        "b": monthly_task(dummy_beneficiary, "2026-04", status="overdue"),
        "c": monthly_task(v12, "2026-03", status="done"),
        "d": monthly_task(other_beneficiary, "2026-03"),
    }
    follow_up = create_record(VisitTask(
        beneficiary_id=dummy_beneficiary.id, village_id=dummy_beneficiary.village_id,
        kind="follow_up", period="2026-05", due_on=date(2026, 5, 2), status="due",
    ), None)
    db.session.commit()
    tasks["e"] = follow_up
    names = {str(task.id): key for key, task in tasks.items()}

    def keys(username="county1", **params):
        response = client.get(TASKS, query_string=params, headers=auth_headers(username))
        assert response.status_code == 200, response.json
        return sorted(names[item["id"]] for item in response.json["items"])

    assert keys() == ["a", "b", "c", "d", "e"]
    assert keys("liaison1") == ["a", "b", "e"]
    assert keys("township1") == ["a", "b", "c", "e"]
    assert keys("liaison3") == ["d"]
    assert keys(village_id=str(county.regions["V12"])) == ["c"]
    assert keys(township_id=str(county.regions["T2"])) == ["d"]
    assert keys(township_id=str(county.regions["T1"])) == ["a", "b", "c", "e"]
    assert keys(period="2026-03") == ["a", "c", "d"]
    assert keys(status="overdue") == ["b"]
    assert keys(status="done") == ["c"]
    assert keys(kind="follow_up") == ["e"]
    assert keys("township1", period="2026-03", status="due") == ["a"]
    item = client.get(TASKS, query_string={"kind": "follow_up"}, headers=auth_headers("liaison1")).json
    assert item["total"] == 1
    assert item["items"][0]["due_on"] == "2026-05-02"
    assert item["items"][0]["beneficiary_id"] == str(dummy_beneficiary.id)
    page = client.get(TASKS, query_string={"per_page": 2, "page": 3}, headers=auth_headers("county1")).json
    assert (page["total"], len(page["items"])) == (5, 1)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"period": "2026-3"}, "period", "月份格式应为 YYYY-MM"),
        ({"status": "late"}, "status", "不是可选的值"),
        ({"kind": "yearly"}, "kind", "不是可选的值"),
    ],
)
def test_task_list_rejects_bad_filters(client, auth_headers, params, field, message):
    response = client.get(TASKS, query_string=params, headers=auth_headers("county1"))
    assert response.status_code == 422
    assert response.json["errors"][field] == [message]


def test_tasks_are_read_only(client, auth_headers):
    response = client.post(TASKS, json={}, headers=auth_headers("county1"))
    assert response.status_code == 405
