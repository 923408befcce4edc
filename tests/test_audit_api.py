"""The audit log for admins: who did what to which record, when, from where (issue 5)."""

from datetime import timedelta

from server.common.timeutil import utcnow
from server.extensions import db
from server.records.models import AuditEntry
from server.visits import operations as visits
from tests import factories

URL = "/api/v1/audit"


def entries(client, headers, **query):
    response = client.get(URL, query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_only_admins_read_the_log(client, auth_headers):
    for username in ("liaison1", "township1", "county1"):
        response = client.get(URL, headers=auth_headers(username))
        assert response.status_code == 403
        assert response.json["code"] == "role_forbidden"
    assert client.get(URL).status_code == 401


def test_filters_by_user_record_entity_action_and_dates(client, auth_headers, county, user, today):
    person = factories.beneficiary(county.regions["V11"], user("admin"), name="审计甲")
    visit = visits.create_visit({"beneficiary_id": person.id, "visit_type": "monthly",
                                 "visited_on": today, "summary": "走访"}, user("liaison1"))
    db.session.commit()
    headers = auth_headers("admin")
    township = auth_headers("township1")
    client.post(f"/api/v1/visits/{visit.id}/review", headers={**township, "X-Client-Id": "pc-1"},
                json={"decision": "return", "comment": "补充"})
    client.get(f"/api/v1/beneficiaries/{person.id}/id-number", headers=auth_headers("county1"))

    mine = entries(client, headers, record_id=str(visit.id))
    assert [e["action"] for e in mine["items"]] == ["review", "create"]  # newest first
    review = mine["items"][0]
    assert review["username"] == "township1" and review["user_id"] == user("township1").id
    assert review["entity"] == "visit" and review["client_id"] == "pc-1"
    assert review["changes"]["review_status"] == ["pending", "returned"]
    assert review["ip"] == "127.0.0.1"

    by_user = entries(client, headers, user_id=user("township1").id, entity="visit")
    assert {e["action"] for e in by_user["items"]} == {"review"}
    by_name = entries(client, headers, username="liaison1", action="create")
    # (other modules' committed writes may be in the log too: the filter is what is checked)
    assert str(visit.id) in [e["record_id"] for e in by_name["items"]]
    assert {(e["username"], e["action"]) for e in by_name["items"]} == {("liaison1", "create")}
    reads = entries(client, headers, action="read_id_number")
    assert [(e["username"], e["record_id"]) for e in reads["items"]] == [
        ("county1", str(person.id))]

    old = AuditEntry(action="login", username="township1", user_id=user("township1").id,
                     at=utcnow() - timedelta(days=40))
    db.session.add(old)
    db.session.commit()
    earlier = (today - timedelta(days=40)).isoformat()
    dated = entries(client, headers, action="login", date_from=earlier, date_to=earlier)
    assert [e["id"] for e in dated["items"]] == [old.id]
    recent = entries(client, headers, action="login", username="township1",
                     date_from=(today - timedelta(days=1)).isoformat())
    assert old.id not in [e["id"] for e in recent["items"]]
    bad = client.get(URL, query_string={"date_from": today.isoformat(),
                                        "date_to": earlier}, headers=headers)
    assert bad.status_code == 422 and "date_to" in bad.json["errors"]


def test_the_log_is_paginated(client, auth_headers, user):
    for number in range(7):
        db.session.add(AuditEntry(action="test_page", username=f"u{number}",
                                  at=utcnow() - timedelta(minutes=number)))
    db.session.commit()
    headers = auth_headers("admin")
    first = entries(client, headers, action="test_page", per_page=3)
    assert first["total"] == 7 and [e["username"] for e in first["items"]] == ["u0", "u1", "u2"]
    last = entries(client, headers, action="test_page", per_page=3, page=3)
    assert [e["username"] for e in last["items"]] == ["u6"]


def test_the_log_reads_in_chinese_with_names_instead_of_ids(client, auth_headers, county, user,
                                                           today):
    from server.contacts import operations as contacts
    from server.contacts import printing

    admin = user("admin")
    person = factories.beneficiary(county.regions["V11"], admin, name="审计乙", is_migrant=True,
                                   work_city="广州")
    card = contacts.create_card({"beneficiary_id": person.id}, admin)
    db.session.commit()
    printing.print_cards({"card_id": card.id}, admin)
    visit = visits.create_visit({"beneficiary_id": person.id, "visit_type": "monthly",
                                 "visited_on": today, "summary": "走访"}, user("liaison1"))
    db.session.commit()
    headers = auth_headers("admin")
    [printed] = entries(client, headers, action="print_card")["items"]
    assert printed["action_label"] == "打印连心卡" and printed["entity_label"] == "连心卡"
    assert printed["record_label"] == f"{card.card_number}（审计乙）"
    assert printed["user_label"] == admin.display_name
    # the token's hash stays redacted: only its field name is translated
    assert set(printed["changes_named"]) == {"二维码"}
    assert printed["changes_named"]["二维码"] == printed["changes"]["token_hash"]
    assert card.token_hash not in str(printed)
    [made] = entries(client, headers, action="create", entity="visit",
                     record_id=str(visit.id))["items"]
    assert made["entity_label"] == "走访记录" and made["record_label"] == "审计乙"
    named = made["changes_named"]
    assert named["优抚对象"] == "审计乙" and named["村（居）"] == "一号镇甲村"
    assert named["走访类型"] == "定时上门走访"
    assert str(person.id) not in str(named)
    actions = client.get(f"{URL}/actions", headers=headers).json
    assert {"code": "print_card", "label": "打印连心卡"} in actions
    assert client.get(f"{URL}/actions", headers=auth_headers("county1")).status_code == 403
