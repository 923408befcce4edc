import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.contacts import operations
from server.contacts.models import ContactCard, ContactLog
from server.extensions import db
from server.records.models import AuditEntry
from tests import factories

CARDS = "/api/v1/contact-cards"
LOGS = "/api/v1/contact-logs"
NO_BENEFICIARY = "优抚对象不存在或不在您的管辖范围内"
CARD_FIELDS = {
    "id", "version", "created_at", "updated_at", "beneficiary_id", "beneficiary_name",
    "village_id", "card_number", "issued_on", "work_city", "work_province", "employer",
    "phone", "emergency_contact", "last_contact_on",
}


def audit_trail(record_id):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_id == str(record_id)).order_by(AuditEntry.id)
    ).all()


def migrant(county, user, village="V11", name="李外出", work_city="广州"):
    return factories.beneficiary(county.regions[village], user("admin"), name=name,
                                 is_migrant=True, work_city=work_city)


def make_card(beneficiary, actor, **values):
    card = operations.create_card({"beneficiary_id": beneficiary.id, **values}, actor)
    db.session.commit()
    return card


def make_log(card, actor, contacted_on, notes="电话问候", channel="phone"):
    log = operations.create_log(
        {"card_id": card.id, "contacted_on": contacted_on, "channel": channel, "notes": notes}, actor
    )
    db.session.commit()
    return log


@pytest.fixture
def dummy_migrant(county, user):
    return migrant(county, user)


@pytest.fixture
def dummy_card(dummy_migrant, user, today):
    return make_card(dummy_migrant, user("liaison1"), issued_on=today - timedelta(days=60),
                     employer="广州某电子厂")


@pytest.fixture
def other_card(county, user):
    return make_card(migrant(county, user, "V21", name="赵外出", work_city="深圳"), user("liaison3"))


# --- cards -----------------------------------------------------------------------------------


def test_liaison_issues_a_card_with_a_generated_number(client, auth_headers, dummy_migrant, county, today):
    response = client.post(CARDS, json={"beneficiary_id": str(dummy_migrant.id), "employer": "某厂",
                                        "phone": "139 0000 1111", "emergency_contact": "妻子 13800001111"},
                           headers=auth_headers("liaison1"))
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == CARD_FIELDS
    assert body["card_number"] == "LX0801000001"  # township 510801, first card
    assert body["issued_on"] == today.isoformat()
    assert body["work_city"] == "广州"  # from the beneficiary when not given
    assert body["phone"] == "13900001111"
    assert body["village_id"] == str(county.regions["V11"])
    assert body["beneficiary_name"] == "李外出"
    assert (body["version"], body["last_contact_on"]) == (1, None)
    assert [(e.action, e.entity, e.username) for e in audit_trail(body["id"])] == [
        ("create", "contact_card", "liaison1")
    ]


def test_card_numbers_count_per_township_and_are_never_reused(client, auth_headers, county, user):
    first = make_card(migrant(county, user, "V11"), user("admin"))
    second = make_card(migrant(county, user, "V12", name="乙"), user("admin"))
    elsewhere = make_card(migrant(county, user, "V21", name="丙"), user("admin"))
    assert (first.card_number, second.card_number, elsewhere.card_number) == (
        "LX0801000001", "LX0801000002", "LX0802000001"
    )
    assert client.delete(f"{CARDS}/{second.id}", headers=auth_headers("county1")).status_code == 204
    third = make_card(migrant(county, user, "V11", name="丁"), user("admin"))
    assert third.card_number == "LX0801000003"


def test_a_given_card_number_is_kept_and_must_be_unique(client, auth_headers, county, user):
    one, two = migrant(county, user, name="甲"), migrant(county, user, name="乙")
    headers = auth_headers("liaison1")
    first = client.post(CARDS, json={"beneficiary_id": str(one.id), "card_number": "LX12345678"},
                        headers=headers)
    assert (first.status_code, first.json["card_number"]) == (201, "LX12345678")
    again = client.post(CARDS, json={"beneficiary_id": str(two.id), "card_number": "LX12345678"},
                        headers=headers)
    assert again.status_code == 422
    assert again.json["errors"] == {"card_number": ["该卡号已被使用"]}


def test_client_made_uuid_is_kept_and_cannot_be_reused(client, auth_headers, county, user):
    record_id = str(uuid.uuid4())
    headers = auth_headers("liaison1")
    first = client.post(CARDS, json={"id": record_id, "beneficiary_id": str(migrant(county, user).id)},
                        headers=headers)
    assert (first.status_code, first.json["id"]) == (201, record_id)
    again = client.post(CARDS, json={"id": record_id, "beneficiary_id": str(migrant(county, user, name="乙").id)},
                        headers=headers)
    assert again.status_code == 422
    assert again.json["errors"] == {"id": ["该编号已被使用"]}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"card_number": "LX12345"}, "card_number", "卡号应为 LX 加 6 到 16 位数字"),
        ({"card_number": "AB123456"}, "card_number", "卡号应为 LX 加 6 到 16 位数字"),
        ({"card_number": "LX12345678901234567"}, "card_number", "卡号应为 LX 加 6 到 16 位数字"),
        ({"phone": "12345"}, "phone", "请输入正确的手机号（11位）或座机号（如 0817-1234567）"),
        ({"issued_on": "TOMORROW"}, "issued_on", "不能晚于今天"),
        ({"issued_on": None}, "issued_on", "此项不能为空"),
        ({"last_contact_on": "TOMORROW"}, "last_contact_on", "不能晚于今天"),
        ({"work_province": "省" * 31}, "work_province", "最多 30 个字"),
        ({"token_hash": "0" * 64}, "token_hash", "不认识的字段"),
        ({"village_id": str(uuid.uuid4())}, "village_id", "不认识的字段"),
        ({"beneficiary_id": None}, "beneficiary_id", "此项不能为空"),
    ],
)
def test_card_validation_messages(client, auth_headers, dummy_migrant, today, overrides, field, message):
    body = {"beneficiary_id": str(dummy_migrant.id)}
    body.update({k: (today + timedelta(days=1)).isoformat() if v == "TOMORROW" else v
                 for k, v in overrides.items()})
    response = client.post(CARDS, json=body, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert message in response.json["errors"][field]
    assert db.session.scalar(select(ContactCard.id)) is None


def test_card_needs_a_beneficiary(client, auth_headers):
    response = client.post(CARDS, json={}, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["此项必填"]}


def test_only_a_migrant_gets_a_card(client, auth_headers, dummy_beneficiary):
    response = client.post(CARDS, json={"beneficiary_id": str(dummy_beneficiary.id)},
                           headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["只有外出务工人员才能办理连心卡"]}


def test_one_active_card_per_beneficiary(client, auth_headers, dummy_card, dummy_migrant):
    body = {"beneficiary_id": str(dummy_migrant.id)}
    second = client.post(CARDS, json=body, headers=auth_headers("liaison1"))
    assert second.status_code == 422
    assert second.json["errors"] == {"beneficiary_id": ["该优抚对象已有连心卡"]}
    # once the old card is withdrawn, a new one may be issued
    assert client.delete(f"{CARDS}/{dummy_card.id}", headers=auth_headers("township1")).status_code == 204
    renewed = client.post(CARDS, json=body, headers=auth_headers("liaison1"))
    assert renewed.status_code == 201
    assert renewed.json["card_number"] != dummy_card.card_number


@pytest.mark.parametrize(
    ("username", "village"), [("liaison1", "V21"), ("liaison1", "V12"), ("township1", "V21")]
)
def test_no_card_for_a_beneficiary_out_of_scope(client, auth_headers, county, user, username, village):
    outsider = migrant(county, user, village)
    response = client.post(CARDS, json={"beneficiary_id": str(outsider.id)}, headers=auth_headers(username))
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}
    unknown = client.post(CARDS, json={"beneficiary_id": str(uuid.uuid4())}, headers=auth_headers(username))
    assert unknown.json["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}


def test_get_a_card_never_shows_the_token_hash(client, auth_headers, dummy_card):
    secret = "f" * 64
    dummy_card.token_hash = secret
    db.session.commit()
    for url in (f"{CARDS}/{dummy_card.id}", CARDS):
        response = client.get(url, headers=auth_headers("county1"))
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "token_hash" not in text and secret not in text
    body = client.get(f"{CARDS}/{dummy_card.id}", headers=auth_headers("liaison1")).json
    assert (body["card_number"], body["employer"]) == (dummy_card.card_number, "广州某电子厂")


def test_list_is_scoped(client, auth_headers, county, user, dummy_card, other_card):
    v12_card = make_card(migrant(county, user, "V12", name="乙"), user("admin"))
    for username, expected in [
        ("liaison1", {dummy_card.id}),
        ("liaison2", {v12_card.id}),
        ("liaison3", {other_card.id}),
        ("township1", {dummy_card.id, v12_card.id}),
        ("township2", {other_card.id}),
        ("county1", {dummy_card.id, v12_card.id, other_card.id}),
    ]:
        body = client.get(CARDS, headers=auth_headers(username)).json
        assert {item["id"] for item in body["items"]} == {str(i) for i in expected}, username
        assert body["total"] == len(expected)


def test_list_filters_and_search(client, auth_headers, county, user):
    admin = user("admin")
    wang = make_card(migrant(county, user, "V11", name="王建国", work_city="广州"), admin)
    li = make_card(migrant(county, user, "V12", name="李秀英", work_city="深圳"), admin)
    zhao = make_card(migrant(county, user, "V21", name="王小明", work_city="广州市"), admin)
    headers = auth_headers("county1")

    def names(**params):
        response = client.get(CARDS, query_string=params, headers=headers)
        assert response.status_code == 200
        return sorted(item["beneficiary_name"] for item in response.json["items"])

    assert names() == ["李秀英", "王小明", "王建国"]
    assert names(village_id=str(county.regions["V12"])) == ["李秀英"]
    assert names(township_id=str(county.regions["T1"])) == ["李秀英", "王建国"]
    assert names(beneficiary_id=str(zhao.beneficiary_id)) == ["王小明"]
    assert names(work_city="广州") == ["王小明", "王建国"]
    assert names(q="王") == ["王小明", "王建国"]
    assert names(q=li.card_number.lower()) == ["李秀英"]
    assert names(q="%") == []
    assert names(q="王", township_id=str(county.regions["T2"])) == ["王小明"]
    assert wang.card_number.startswith("LX0801")
    page = client.get(CARDS, query_string={"per_page": 2, "page": 2}, headers=headers).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    assert set(page["items"][0]) == CARD_FIELDS


def test_update_bumps_version_and_audits(client, auth_headers, dummy_card):
    url, headers = f"{CARDS}/{dummy_card.id}", auth_headers("liaison1")
    response = client.patch(url, json={"work_city": "东莞", "work_province": "广东"}, headers=headers)
    assert response.status_code == 200
    assert (response.json["work_city"], response.json["work_province"]) == ("东莞", "广东")
    assert response.json["version"] == 2
    update = audit_trail(dummy_card.id)[-1]
    assert (update.action, update.username) == ("update", "liaison1")
    assert update.changes == {"work_city": ["广州", "东莞"], "work_province": [None, "广东"]}
    same = client.patch(url, json={"work_city": "东莞"}, headers=headers)
    assert same.json["version"] == 2
    assert len(audit_trail(dummy_card.id)) == 2


def test_update_card_number(client, auth_headers, dummy_card, county, user):
    other = make_card(migrant(county, user, name="乙"), user("admin"))
    url, headers = f"{CARDS}/{dummy_card.id}", auth_headers("liaison1")
    taken = client.patch(url, json={"card_number": other.card_number}, headers=headers)
    assert taken.status_code == 422
    assert taken.json["errors"] == {"card_number": ["该卡号已被使用"]}
    empty = client.patch(url, json={"card_number": None}, headers=headers)
    assert empty.json["errors"] == {"card_number": ["此项不能为空"]}
    same = client.patch(url, json={"card_number": dummy_card.card_number}, headers=headers)
    assert (same.status_code, same.json["version"]) == (200, 1)
    changed = client.patch(url, json={"card_number": "LX99990001"}, headers=headers)
    assert (changed.status_code, changed.json["card_number"], changed.json["version"]) == (
        200, "LX99990001", 2
    )


@pytest.mark.parametrize("field", ["beneficiary_id", "village_id", "token_hash", "id"])
def test_update_refuses_fixed_fields(client, auth_headers, dummy_card, field):
    response = client.patch(f"{CARDS}/{dummy_card.id}", json={field: str(uuid.uuid4())},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert response.json["errors"] == {field: ["不认识的字段"]}


def test_only_staff_delete_a_card_and_its_logs_go_with_it(client, auth_headers, dummy_card, user, today):
    log = make_log(dummy_card, user("liaison1"), today)
    url = f"{CARDS}/{dummy_card.id}"
    refused = client.delete(url, headers=auth_headers("liaison1"))
    assert (refused.status_code, refused.json["code"]) == (403, "role_forbidden")
    assert client.delete(url, headers=auth_headers("county1")).status_code == 204
    assert client.get(url, headers=auth_headers("county1")).status_code == 404
    card_row, log_row = db.session.get(ContactCard, dummy_card.id), db.session.get(ContactLog, log.id)
    assert card_row.deleted_at is not None and card_row.version == 3  # created, contacted, deleted
    assert log_row.deleted_at is not None and log_row.version == 2
    assert audit_trail(dummy_card.id)[-1].action == "delete"
    assert audit_trail(log.id)[-1].action == "delete"


# --- logs ------------------------------------------------------------------------------------


def test_a_log_moves_the_cards_last_contact(client, auth_headers, dummy_card, today):
    headers = auth_headers("liaison1")
    yesterday = (today - timedelta(days=1)).isoformat()
    response = client.post(f"{CARDS}/{dummy_card.id}/logs",
                           json={"contacted_on": yesterday, "channel": "wechat", "notes": "微信视频，身体好"},
                           headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["card_id"], body["village_id"]) == (str(dummy_card.id), str(dummy_card.village_id))
    assert (body["channel"], body["version"]) == ("wechat", 1)
    card = client.get(f"{CARDS}/{dummy_card.id}", headers=headers).json
    assert (card["last_contact_on"], card["version"]) == (yesterday, 2)
    assert [e.action for e in audit_trail(body["id"])] == ["create"]
    assert audit_trail(dummy_card.id)[-1].changes == {"last_contact_on": [None, yesterday]}
    # an older log leaves the card alone
    older = client.post(f"{CARDS}/{dummy_card.id}/logs",
                        json={"contacted_on": (today - timedelta(days=9)).isoformat(),
                              "channel": "phone", "notes": "补记"},
                        headers=headers)
    assert older.status_code == 201
    card = client.get(f"{CARDS}/{dummy_card.id}", headers=headers).json
    assert (card["last_contact_on"], card["version"]) == (yesterday, 2)


def test_logs_are_listed_newest_first(client, auth_headers, dummy_card, user, today):
    liaison = user("liaison1")
    old = make_log(dummy_card, liaison, today - timedelta(days=20))
    new = make_log(dummy_card, liaison, today)
    gone = make_log(dummy_card, liaison, today - timedelta(days=3))
    operations.delete_log(gone, liaison)
    db.session.commit()
    response = client.get(f"{CARDS}/{dummy_card.id}/logs", headers=auth_headers("township1"))
    assert response.status_code == 200
    assert [log["id"] for log in response.json] == [str(new.id), str(old.id)]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"channel": "phone", "notes": "x"}, "contacted_on", "此项必填"),
        ({"contacted_on": "TOMORROW", "channel": "phone", "notes": "x"}, "contacted_on", "不能晚于今天"),
        ({"contacted_on": "TODAY", "notes": "x"}, "channel", "此项必填"),
        ({"contacted_on": "TODAY", "channel": "letter", "notes": "x"}, "channel", "不是可选的值"),
        ({"contacted_on": "TODAY", "channel": "phone"}, "notes", "此项必填"),
        ({"contacted_on": "TODAY", "channel": "phone", "notes": " "}, "notes", "此项不能为空"),
        ({"contacted_on": "TODAY", "channel": "phone", "notes": "x", "card_id": "X"}, "card_id", "不认识的字段"),
    ],
)
def test_log_validation_messages(client, auth_headers, dummy_card, today, body, field, message):
    words = {"TODAY": today.isoformat(), "TOMORROW": (today + timedelta(days=1)).isoformat()}
    body = {k: words.get(v, v) for k, v in body.items()}
    response = client.post(f"{CARDS}/{dummy_card.id}/logs", json=body, headers=auth_headers("liaison1"))
    assert response.status_code == 422
    assert message in response.json["errors"][field]
    assert db.session.scalar(select(ContactLog.id)) is None


def test_the_sync_path_checks_the_card_is_visible(app, dummy_card, other_card, user, today):
    from server.errors import ValidationFailed

    values = {"card_id": other_card.id, "contacted_on": today, "channel": "sms", "notes": "x"}
    with pytest.raises(ValidationFailed) as refused:
        operations.create_log(values, user("liaison1"))
    assert refused.value.errors == {"card_id": ["连心卡不存在或不在您的管辖范围内"]}


def test_update_a_log(client, auth_headers, dummy_card, user, today):
    log = make_log(dummy_card, user("liaison1"), today - timedelta(days=5))
    url, headers = f"{LOGS}/{log.id}", auth_headers("liaison1")
    response = client.patch(url, json={"notes": "电话问候，工资已结清"}, headers=headers)
    assert response.status_code == 200
    assert (response.json["notes"], response.json["version"]) == ("电话问候，工资已结清", 2)
    assert audit_trail(log.id)[-1].changes == {"notes": ["电话问候", "电话问候，工资已结清"]}
    # a corrected, later date moves the card's last contact too
    moved = client.patch(url, json={"contacted_on": today.isoformat()}, headers=headers)
    assert (moved.status_code, moved.json["version"]) == (200, 3)
    card = db.session.get(ContactCard, dummy_card.id)
    assert (card.last_contact_on, card.version) == (today, 3)
    bad = client.patch(url, json={"channel": "fax"}, headers=headers)
    assert bad.json["errors"] == {"channel": ["不是可选的值"]}
    moved_card = client.patch(url, json={"card_id": str(dummy_card.id)}, headers=headers)
    assert moved_card.json["errors"] == {"card_id": ["不认识的字段"]}


def test_liaison_deletes_a_log(client, auth_headers, dummy_card, user, today):
    log = make_log(dummy_card, user("liaison1"), today)
    response = client.delete(f"{LOGS}/{log.id}", headers=auth_headers("liaison1"))
    assert response.status_code == 204
    row = db.session.get(ContactLog, log.id)
    assert row.deleted_at is not None and row.version == 2
    assert [e.action for e in audit_trail(log.id)] == ["create", "delete"]
    assert client.get(f"{CARDS}/{dummy_card.id}/logs", headers=auth_headers("liaison1")).json == []
    assert client.delete(f"{LOGS}/{log.id}", headers=auth_headers("liaison1")).status_code == 404


# --- scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["liaison1", "liaison2", "township1"])
def test_other_areas_records_are_404(client, auth_headers, other_card, user, today, username):
    log = make_log(other_card, user("liaison3"), today)
    headers = auth_headers(username)
    calls = [
        ("get", f"{CARDS}/{other_card.id}", None),
        ("patch", f"{CARDS}/{other_card.id}", {"employer": "改"}),
        ("delete", f"{CARDS}/{other_card.id}", None),
        ("get", f"{CARDS}/{other_card.id}/logs", None),
        ("post", f"{CARDS}/{other_card.id}/logs", {"contacted_on": today.isoformat(), "channel": "phone", "notes": "x"}),
        ("patch", f"{LOGS}/{log.id}", {"notes": "改"}),
        ("delete", f"{LOGS}/{log.id}", None),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 404, (method, url)
        assert response.mimetype == "application/problem+json"
    assert db.session.get(ContactCard, other_card.id).version == 2  # untouched since the log
    assert db.session.get(ContactLog, log.id).version == 1


def test_township_officer_works_on_every_village_of_the_township(client, auth_headers, county, user, today):
    v12 = migrant(county, user, "V12", name="乙村人")
    response = client.post(CARDS, json={"beneficiary_id": str(v12.id)}, headers=auth_headers("township1"))
    assert response.status_code == 201
    assert response.json["village_id"] == str(county.regions["V12"])
    log = client.post(f"{CARDS}/{response.json['id']}/logs",
                      json={"contacted_on": today.isoformat(), "channel": "visit", "notes": "返乡时见面"},
                      headers=auth_headers("township1"))
    assert log.status_code == 201
    assert client.get(f"{CARDS}/{response.json['id']}", headers=auth_headers("liaison2")).status_code == 200
    assert client.get(f"{CARDS}/{response.json['id']}", headers=auth_headers("liaison1")).status_code == 404


def test_every_endpoint_needs_a_login(client):
    some = uuid.uuid4()
    for method, url in [
        ("get", CARDS), ("post", CARDS), ("get", f"{CARDS}/{some}"), ("patch", f"{CARDS}/{some}"),
        ("delete", f"{CARDS}/{some}"), ("get", f"{CARDS}/{some}/logs"),
        ("post", f"{CARDS}/{some}/logs"), ("patch", f"{LOGS}/{some}"), ("delete", f"{LOGS}/{some}"),
    ]:
        response = getattr(client, method)(url, json={} if method in ("post", "patch") else None)
        assert response.status_code == 401, (method, url)
