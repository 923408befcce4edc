import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.mediation import operations
from server.mediation.models import MediationCase, MediationSession
from server.records.models import AuditEntry
from tests import factories

CASES = "/api/v1/mediation-cases"
SESSIONS = "/api/v1/mediation-sessions"
NO_BENEFICIARY = "优抚对象不存在或不在您的管辖范围内"
CLOSED = "已调解或已移交的纠纷不能再更改状态"


def case_body(beneficiary_id, /, **overrides):
    body = {
        "beneficiary_id": str(beneficiary_id),
        "kind": "neighbour",
        "parties": "张三与邻居李四",
        "description": "宅基地边界争议",
    }
    body.update(overrides)
    return body


def audit_trail(record_id):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_id == str(record_id)).order_by(AuditEntry.id)
    ).all()


def make_case(beneficiary, actor, **values):
    case = operations.create_case(
        {"beneficiary_id": beneficiary.id, "kind": "family", "parties": "兄弟二人", **values}, actor
    )
    db.session.commit()
    return case


def make_session(case, actor, held_on, notes="第一次调解"):
    session = operations.create_session(
        {"case_id": case.id, "held_on": held_on, "notes": notes}, actor
    )
    db.session.commit()
    return session


@pytest.fixture
def dummy_case(dummy_beneficiary, user, today):
    return make_case(dummy_beneficiary, user("liaison1"), opened_on=today - timedelta(days=10))


@pytest.fixture
def other_case(other_beneficiary, user):
    return make_case(other_beneficiary, user("liaison3"))


# --- cases -----------------------------------------------------------------------------------


def test_liaison_opens_a_case_for_their_beneficiary(client, auth_headers, dummy_beneficiary, county, today):
    response = client.post(CASES, json=case_body(dummy_beneficiary.id), headers=auth_headers("liaison1"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["village_id"] == str(county.regions["V11"])
    assert body["status"] == "open"
    assert body["opened_on"] == today.isoformat()
    assert body["closed_on"] is None
    assert body["version"] == 1
    assert body["parties"] == "张三与邻居李四"
    trail = audit_trail(body["id"])
    assert [(e.action, e.entity, e.username) for e in trail] == [("create", "mediation_case", "liaison1")]


def test_client_made_uuid_is_kept_and_cannot_be_reused(client, auth_headers, dummy_beneficiary):
    record_id = str(uuid.uuid4())
    headers = auth_headers("liaison1")
    first = client.post(CASES, json=case_body(dummy_beneficiary.id, id=record_id), headers=headers)
    assert first.status_code == 201
    assert first.json["id"] == record_id
    again = client.post(CASES, json=case_body(dummy_beneficiary.id, id=record_id), headers=headers)
    assert again.status_code == 422
    assert again.json["errors"] == {"id": ["该编号已被使用"]}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"kind": "quarrel"}, "kind", "不是可选的值"),
        ({"kind": None}, "kind", "此项不能为空"),
        ({"parties": " "}, "parties", "此项不能为空"),
        ({"status": "closed"}, "status", "不是可选的值"),
        ({"status": "resolved"}, "outcome", "已调解或已移交的纠纷须填写结果"),
        ({"status": "referred", "outcome": "移交法院"}, "referred_to",
         "移交的纠纷须填写移交单位（如法院、维权办）"),
        ({"referred_to": "法院"}, "referred_to", "只有移交的纠纷才填写移交单位"),
        ({"opened_on": "2026-13-01"}, "opened_on", "日期格式应为 YYYY-MM-DD"),
        ({"village_id": str(uuid.uuid4())}, "village_id", "不认识的字段"),
        ({"closed_on": "2026-01-01"}, "closed_on", "不认识的字段"),
        ({"beneficiary_id": "abc"}, "beneficiary_id", "编号格式无效"),
    ],
)
def test_case_validation_messages(client, auth_headers, dummy_beneficiary, overrides, field, message):
    response = client.post(CASES, json=case_body(dummy_beneficiary.id, **overrides),
                           headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert message in response.json["errors"][field]


def test_case_required_fields(client, auth_headers):
    response = client.post(CASES, json={}, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {
        "beneficiary_id": ["此项必填"], "kind": ["此项必填"], "parties": ["此项必填"],
    }


def test_opened_on_cannot_be_after_today(client, auth_headers, dummy_beneficiary, today):
    tomorrow = (today + timedelta(days=1)).isoformat()
    response = client.post(CASES, json=case_body(dummy_beneficiary.id, opened_on=tomorrow),
                           headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"]["opened_on"] == ["不能晚于今天"]


def test_a_case_opened_as_resolved_is_closed_today(client, auth_headers, dummy_beneficiary, today):
    response = client.post(
        CASES, json=case_body(dummy_beneficiary.id, status="resolved", outcome="当场和解",
                              opened_on=(today - timedelta(days=3)).isoformat()),
        headers=auth_headers("liaison1"),
    )
    assert response.status_code == 201
    assert response.json["closed_on"] == today.isoformat()


@pytest.mark.parametrize(
    ("username", "beneficiary"),
    [("liaison1", "other"), ("liaison2", "dummy"), ("township1", "other"), ("liaison1", "missing")],
)
def test_no_case_for_a_beneficiary_out_of_scope(
    client, auth_headers, dummy_beneficiary, other_beneficiary, username, beneficiary
):
    beneficiary_id = {"dummy": dummy_beneficiary.id, "other": other_beneficiary.id,
                      "missing": uuid.uuid4()}[beneficiary]
    response = client.post(CASES, json=case_body(beneficiary_id), headers=auth_headers(username))
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}
    assert db.session.scalar(select(MediationCase.id)) is None


def test_no_case_for_a_deleted_beneficiary(client, auth_headers, dummy_beneficiary):
    assert client.delete(f"/api/v1/beneficiaries/{dummy_beneficiary.id}",
                         headers=auth_headers("county1")).status_code == 204
    response = client.post(CASES, json=case_body(dummy_beneficiary.id), headers=auth_headers("county1"))
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}


def test_get_a_case(client, auth_headers, dummy_case):
    response = client.get(f"{CASES}/{dummy_case.id}", headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert response.json["id"] == str(dummy_case.id)
    assert response.json["kind"] == "family"


def test_list_is_scoped(client, auth_headers, county, user, dummy_case, other_case):
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="乙村人")
    v12_case = make_case(v12, user("liaison2"))
    for username, expected in [
        ("liaison1", {dummy_case.id}),
        ("liaison2", {v12_case.id}),
        ("liaison3", {other_case.id}),
        ("township1", {dummy_case.id, v12_case.id}),
        ("township2", {other_case.id}),
        ("county1", {dummy_case.id, v12_case.id, other_case.id}),
        ("admin", {dummy_case.id, v12_case.id, other_case.id}),
    ]:
        body = client.get(CASES, headers=auth_headers(username)).json
        assert {item["id"] for item in body["items"]} == {str(i) for i in expected}, username
        assert body["total"] == len(expected)


def test_list_filters_and_newest_first(client, auth_headers, county, user, today):
    admin = user("admin")
    first = factories.beneficiary(county.regions["V11"], admin, name="甲")
    second = factories.beneficiary(county.regions["V12"], admin, name="乙")
    third = factories.beneficiary(county.regions["V21"], admin, name="丙")
    old = make_case(first, admin, kind="land", opened_on=today - timedelta(days=30))
    new = make_case(first, admin, kind="family", opened_on=today - timedelta(days=1))
    middle = make_case(second, admin, kind="labour", opened_on=today - timedelta(days=5))
    far = make_case(third, admin, kind="military_rights", status="referred", outcome="已移交",
                    referred_to="维权办", opened_on=today - timedelta(days=2))
    headers = auth_headers("county1")

    def ids(**params):
        return [item["id"] for item in client.get(CASES, query_string=params, headers=headers).json["items"]]

    assert ids() == [str(new.id), str(far.id), str(middle.id), str(old.id)]
    assert ids(village_id=str(county.regions["V11"])) == [str(new.id), str(old.id)]
    assert ids(township_id=str(county.regions["T1"])) == [str(new.id), str(middle.id), str(old.id)]
    assert ids(beneficiary_id=str(second.id)) == [str(middle.id)]
    assert ids(kind="land") == [str(old.id)]
    assert ids(status="referred") == [str(far.id)]
    assert ids(status="open") == [str(new.id), str(middle.id), str(old.id)]
    page = client.get(CASES, query_string={"per_page": 3, "page": 2}, headers=headers).json
    assert (page["total"], page["page"], [i["id"] for i in page["items"]]) == (4, 2, [str(old.id)])


def test_bad_filter_is_refused_in_chinese(client, auth_headers):
    response = client.get(CASES, query_string={"status": "done"}, headers=auth_headers("county1"))
    assert response.status_code == 422
    assert response.json["errors"]["status"] == ["不是可选的值"]


def test_update_bumps_version_and_audits(client, auth_headers, dummy_case):
    response = client.patch(f"{CASES}/{dummy_case.id}", json={"parties": "兄弟三人"},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert response.json["parties"] == "兄弟三人"
    assert response.json["version"] == 2
    update = audit_trail(dummy_case.id)[-1]
    assert (update.action, update.username) == ("update", "liaison1")
    assert update.changes == {"parties": ["兄弟二人", "兄弟三人"]}


def test_update_without_change_keeps_version(client, auth_headers, dummy_case):
    response = client.patch(f"{CASES}/{dummy_case.id}", json={"parties": "兄弟二人"},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert response.json["version"] == 1
    assert [e.action for e in audit_trail(dummy_case.id)] == ["create"]


@pytest.mark.parametrize("field", ["beneficiary_id", "village_id", "closed_on", "id"])
def test_update_refuses_derived_fields(client, auth_headers, dummy_case, field):
    value = "2026-01-01" if field == "closed_on" else str(uuid.uuid4())
    response = client.patch(f"{CASES}/{dummy_case.id}", json={field: value},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {field: ["不认识的字段"]}


def test_status_moves_forward_to_resolved(client, auth_headers, dummy_case, today):
    url, headers = f"{CASES}/{dummy_case.id}", auth_headers("liaison1")
    mediating = client.patch(url, json={"status": "mediating"}, headers=headers)
    assert (mediating.status_code, mediating.json["version"]) == (200, 2)
    assert mediating.json["closed_on"] is None
    no_outcome = client.patch(url, json={"status": "resolved"}, headers=headers)
    assert no_outcome.status_code == 422
    assert no_outcome.json["errors"] == {"outcome": ["已调解或已移交的纠纷须填写结果"]}
    resolved = client.patch(url, json={"status": "resolved", "outcome": "签订和解协议"}, headers=headers)
    assert resolved.status_code == 200
    assert resolved.json["status"] == "resolved"
    assert resolved.json["closed_on"] == today.isoformat()
    assert resolved.json["version"] == 3
    assert audit_trail(dummy_case.id)[-1].changes["status"] == ["mediating", "resolved"]


@pytest.mark.parametrize("status", ["open", "mediating", "referred"])
def test_a_resolved_case_cannot_change_status(client, auth_headers, dummy_beneficiary, user, status):
    case = make_case(dummy_beneficiary, user("liaison1"), status="resolved", outcome="已和解")
    response = client.patch(
        f"{CASES}/{case.id}", json={"status": status, "referred_to": "法院"} if status == "referred"
        else {"status": status}, headers=auth_headers("township1"),
    )
    assert response.status_code == 422
    assert response.json["errors"]["status"] == [CLOSED]
    assert db.session.get(MediationCase, case.id).version == 1


def test_a_referred_case_cannot_reopen(client, auth_headers, dummy_case):
    url, headers = f"{CASES}/{dummy_case.id}", auth_headers("liaison1")
    no_place = client.patch(url, json={"status": "referred", "outcome": "调解不成"}, headers=headers)
    assert no_place.status_code == 422
    assert no_place.json["errors"] == {"referred_to": ["移交的纠纷须填写移交单位（如法院、维权办）"]}
    referred = client.patch(url, json={"status": "referred", "outcome": "调解不成", "referred_to": "法院"},
                            headers=headers)
    assert referred.status_code == 200
    assert (referred.json["referred_to"], referred.json["version"]) == ("法院", 2)
    assert referred.json["closed_on"] is not None
    back = client.patch(url, json={"status": "mediating"}, headers=headers)
    assert back.status_code == 422
    assert back.json["errors"] == {"status": [CLOSED]}


def test_a_closed_case_keeps_its_rules_on_edit(client, auth_headers, dummy_beneficiary, user):
    case = make_case(dummy_beneficiary, user("liaison1"), status="resolved", outcome="已和解")
    url, headers = f"{CASES}/{case.id}", auth_headers("liaison1")
    cleared = client.patch(url, json={"outcome": ""}, headers=headers)
    assert cleared.status_code == 422
    assert cleared.json["errors"] == {"outcome": ["已调解或已移交的纠纷须填写结果"]}
    fixed = client.patch(url, json={"outcome": "已和解，双方签字"}, headers=headers)
    assert (fixed.status_code, fixed.json["version"]) == (200, 2)


def test_mediating_cannot_go_back_to_open(client, auth_headers, dummy_beneficiary, user):
    case = make_case(dummy_beneficiary, user("liaison1"), status="mediating")
    response = client.patch(f"{CASES}/{case.id}", json={"status": "open"}, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {"status": ["调解中的纠纷不能退回已受理"]}


def test_an_open_case_may_be_resolved_at_once(client, auth_headers, dummy_case, today):
    response = client.patch(f"{CASES}/{dummy_case.id}", json={"status": "resolved", "outcome": "当场和解"},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert (response.json["closed_on"], response.json["version"]) == (today.isoformat(), 2)


def test_opened_on_cannot_move_past_the_first_session(client, auth_headers, dummy_case, user, today):
    make_session(dummy_case, user("liaison1"), today - timedelta(days=5))
    later = (today - timedelta(days=2)).isoformat()
    response = client.patch(f"{CASES}/{dummy_case.id}", json={"opened_on": later},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 422
    first = (today - timedelta(days=5)).isoformat()
    assert response.json["errors"] == {"opened_on": [f"不能晚于第一次调解的日期（{first}）"]}


def test_only_staff_delete_a_case_and_its_sessions_go_with_it(client, auth_headers, dummy_case, user, today):
    session = make_session(dummy_case, user("liaison1"), today)
    url = f"{CASES}/{dummy_case.id}"
    refused = client.delete(url, headers=auth_headers("liaison1"))
    assert refused.status_code == 403
    assert refused.json["code"] == "role_forbidden"
    assert client.delete(url, headers=auth_headers("township1")).status_code == 204
    assert client.get(url, headers=auth_headers("township1")).status_code == 404
    assert client.get(CASES, headers=auth_headers("township1")).json["total"] == 0
    case_row = db.session.get(MediationCase, dummy_case.id)
    session_row = db.session.get(MediationSession, session.id)
    assert case_row.deleted_at is not None and case_row.version == 3  # created, mediating, deleted
    assert session_row.deleted_at is not None and session_row.version == 2
    assert audit_trail(dummy_case.id)[-1].action == "delete"
    assert audit_trail(session.id)[-1].action == "delete"


# --- sessions --------------------------------------------------------------------------------


def test_first_session_moves_an_open_case_to_mediating(client, auth_headers, dummy_case, today):
    response = client.post(f"{CASES}/{dummy_case.id}/sessions",
                           json={"held_on": today.isoformat(), "notes": "双方到场，初步沟通"},
                           headers=auth_headers("liaison1"))
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["case_id"], body["village_id"]) == (str(dummy_case.id), str(dummy_case.village_id))
    assert (body["version"], body["notes"]) == (1, "双方到场，初步沟通")
    case = client.get(f"{CASES}/{dummy_case.id}", headers=auth_headers("liaison1")).json
    assert (case["status"], case["version"]) == ("mediating", 2)
    assert [e.action for e in audit_trail(body["id"])] == ["create"]
    assert audit_trail(dummy_case.id)[-1].changes == {"status": ["open", "mediating"]}
    # a second session leaves the status, and the case's version, alone
    again = client.post(f"{CASES}/{dummy_case.id}/sessions",
                        json={"held_on": today.isoformat(), "notes": "第二次"},
                        headers=auth_headers("liaison1"))
    assert again.status_code == 201
    assert db.session.get(MediationCase, dummy_case.id).version == 2


def test_sessions_are_listed_in_the_order_they_were_held(client, auth_headers, dummy_case, user, today):
    liaison = user("liaison1")
    late = make_session(dummy_case, liaison, today - timedelta(days=1), "后")
    early = make_session(dummy_case, liaison, today - timedelta(days=8), "前")
    gone = make_session(dummy_case, liaison, today - timedelta(days=4), "删")
    operations.delete_session(gone, liaison)
    db.session.commit()
    response = client.get(f"{CASES}/{dummy_case.id}/sessions", headers=auth_headers("township1"))
    assert response.status_code == 200
    assert [s["id"] for s in response.json] == [str(early.id), str(late.id)]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"notes": "x"}, "held_on", "此项必填"),
        ({"held_on": "TODAY"}, "notes", "此项必填"),
        ({"held_on": "TODAY", "notes": "  "}, "notes", "此项不能为空"),
        ({"held_on": "TOMORROW", "notes": "x"}, "held_on", "不能晚于今天"),
        ({"held_on": "BEFORE_OPENING", "notes": "x"}, "held_on", "不能早于纠纷受理日期（OPENED）"),
        ({"held_on": "TODAY", "notes": "x", "case_id": "OTHER"}, "case_id", "不认识的字段"),
    ],
)
def test_session_validation_messages(client, auth_headers, dummy_case, other_case, today, body, field, message):
    words = {
        "TODAY": today.isoformat(),
        "TOMORROW": (today + timedelta(days=1)).isoformat(),
        "BEFORE_OPENING": (dummy_case.opened_on - timedelta(days=1)).isoformat(),
        "OPENED": dummy_case.opened_on.isoformat(),
        "OTHER": str(other_case.id),
    }
    body = {k: words.get(v, v) for k, v in body.items()}
    message = message.replace("OPENED", words["OPENED"])
    response = client.post(f"{CASES}/{dummy_case.id}/sessions", json=body, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert message in response.json["errors"][field]
    assert db.session.scalar(select(MediationSession.id)) is None


@pytest.mark.parametrize("status", ["resolved", "referred"])
def test_a_closed_case_takes_no_new_session(client, auth_headers, dummy_beneficiary, user, today, status):
    case = make_case(dummy_beneficiary, user("liaison1"), status=status, outcome="结案",
                     referred_to="法院" if status == "referred" else None)
    response = client.post(f"{CASES}/{case.id}/sessions", json={"held_on": today.isoformat(), "notes": "再谈"},
                           headers=auth_headers("liaison1"))
    assert response.status_code == 422
    message = "该纠纷已调解或已移交，不能再添加调解记录"
    assert response.json["detail"] == message
    assert response.json["errors"] == {"case_id": [message]}


def test_the_sync_path_checks_the_case_is_visible(app, dummy_case, other_case, user, today):
    from server.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        operations.create_session({"case_id": other_case.id, "held_on": today, "notes": "x"}, user("liaison1"))
    assert refused.value.errors == {"case_id": ["纠纷不存在或不在您的管辖范围内"]}


def test_update_a_session(client, auth_headers, dummy_case, user, today):
    session = make_session(dummy_case, user("liaison1"), today)
    url, headers = f"{SESSIONS}/{session.id}", auth_headers("liaison1")
    response = client.patch(url, json={"notes": "补充：双方同意再谈"}, headers=headers)
    assert response.status_code == 200
    assert (response.json["notes"], response.json["version"]) == ("补充：双方同意再谈", 2)
    assert audit_trail(session.id)[-1].changes == {"notes": ["第一次调解", "补充：双方同意再谈"]}
    early = (dummy_case.opened_on - timedelta(days=1)).isoformat()
    refused = client.patch(url, json={"held_on": early}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"held_on": [f"不能早于纠纷受理日期（{dummy_case.opened_on.isoformat()}）"]}
    moved = client.patch(url, json={"held_on": dummy_case.opened_on.isoformat()}, headers=headers)
    assert (moved.status_code, moved.json["version"]) == (200, 3)
    assert client.patch(url, json={"case_id": str(dummy_case.id)}, headers=headers).json["errors"] == {
        "case_id": ["不认识的字段"]
    }


def test_liaison_deletes_a_session(client, auth_headers, dummy_case, user, today):
    session = make_session(dummy_case, user("liaison1"), today)
    response = client.delete(f"{SESSIONS}/{session.id}", headers=auth_headers("liaison1"))
    assert response.status_code == 204
    row = db.session.get(MediationSession, session.id)
    assert row.deleted_at is not None and row.version == 2
    assert [e.action for e in audit_trail(session.id)] == ["create", "delete"]
    assert client.get(f"{CASES}/{dummy_case.id}/sessions", headers=auth_headers("liaison1")).json == []
    assert client.patch(f"{SESSIONS}/{session.id}", json={"notes": "x"},
                        headers=auth_headers("liaison1")).status_code == 404


# --- scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["liaison1", "liaison2", "township1"])
def test_other_areas_records_are_404(client, auth_headers, other_case, user, today, username):
    session = make_session(other_case, user("liaison3"), today)
    headers = auth_headers(username)
    calls = [
        ("get", f"{CASES}/{other_case.id}", None),
        ("patch", f"{CASES}/{other_case.id}", {"parties": "改"}),
        ("delete", f"{CASES}/{other_case.id}", None),
        ("get", f"{CASES}/{other_case.id}/sessions", None),
        ("post", f"{CASES}/{other_case.id}/sessions", {"held_on": today.isoformat(), "notes": "x"}),
        ("patch", f"{SESSIONS}/{session.id}", {"notes": "改"}),
        ("delete", f"{SESSIONS}/{session.id}", None),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 404, (method, url)
        assert response.mimetype == "application/problem+json"
    assert db.session.get(MediationCase, other_case.id).version == 2  # untouched since the session
    assert db.session.get(MediationSession, session.id).version == 1


def test_township_officer_works_on_every_village_of_the_township(client, auth_headers, county, user, today):
    v12 = factories.beneficiary(county.regions["V12"], user("admin"), name="乙村人")
    response = client.post(CASES, json=case_body(v12.id), headers=auth_headers("township1"))
    assert response.status_code == 201
    assert response.json["village_id"] == str(county.regions["V12"])
    session = client.post(f"{CASES}/{response.json['id']}/sessions",
                          json={"held_on": today.isoformat(), "notes": "镇里调解"},
                          headers=auth_headers("township1"))
    assert session.status_code == 201
    assert client.get(f"{CASES}/{response.json['id']}", headers=auth_headers("liaison2")).status_code == 200
    assert client.get(f"{CASES}/{response.json['id']}", headers=auth_headers("liaison1")).status_code == 404


def test_every_endpoint_needs_a_login(client):
    some = uuid.uuid4()
    for method, url in [
        ("get", CASES), ("post", CASES), ("get", f"{CASES}/{some}"), ("patch", f"{CASES}/{some}"),
        ("delete", f"{CASES}/{some}"), ("get", f"{CASES}/{some}/sessions"),
        ("post", f"{CASES}/{some}/sessions"), ("patch", f"{SESSIONS}/{some}"),
        ("delete", f"{SESSIONS}/{some}"),
    ]:
        response = getattr(client, method)(url, json={} if method in ("post", "patch") else None)
        assert response.status_code == 401, (method, url)
