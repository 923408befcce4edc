"""Policy outreach and 便民服务 (issue #19 points 2 and 4): a visit records the policies
explained and the services done; a village's outreach as a meeting; the dashboard
counts both."""

import uuid
from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from server.common.timeutil import county_today
from server.extensions import db
from server.policies import operations as policies
from server.policies.models import OutreachMeeting
from server.users.operations import create_user, start_session
from server.visits.models import Visit
from tests import factories
from tests.sync_helpers import Phone


def _policy(user, title="残疾军人抚恤金按月发放", category="preferential"):
    policy = policies.publish({"title": title, "category": category, "summary": "摘要",
                               "body": "正文", "effective_on": None}, user("county1"))
    db.session.commit()
    return policy


def _visit(person, **values):
    return {"beneficiary_id": str(person.id), "visit_type": "monthly",
            "visited_on": county_today().isoformat(), "summary": "身体尚好", **values}


def test_a_visit_records_the_policies_explained_and_services_done(client, auth_headers, user,
                                                                  dummy_beneficiary):
    policy = _policy(user)
    body = _visit(dummy_beneficiary,
                  policies_explained=[{"id": str(policy.id), "title": policy.title}],
                  services=["certificate", "medicine"])
    response = client.post("/api/v1/visits", json=body, headers=auth_headers("liaison1"))
    assert response.status_code == 201, response.json
    assert response.json["policies_explained"] == [{"id": str(policy.id), "title": policy.title}]
    assert response.json["services"] == ["certificate", "medicine"]
    plain = client.post("/api/v1/visits", json=_visit(dummy_beneficiary),
                        headers=auth_headers("liaison1"))
    assert (plain.json["policies_explained"], plain.json["services"]) == ([], [])


def test_a_withdrawn_policy_picked_offline_is_kept_with_its_title_then(
        client, auth_headers, user, dummy_beneficiary):
    """The phone picked the policy before it heard of the withdrawal (or of a revision):
    the visit keeps what the liaison explained."""
    policy = _policy(user)
    policies.revise(policy, {"title": "抚恤金新标准"}, user("county1"))
    policies.withdraw(policy, user("county1"))
    db.session.commit()
    phone = Phone(client, auth_headers("liaison1"))
    visit_id = uuid.uuid4()
    result = phone.push([phone.mutation("visit", visit_id, _visit(
        dummy_beneficiary,
        policies_explained=[{"id": str(policy.id), "title": "残疾军人抚恤金按月发放"}]))]).json
    assert result["results"][0]["status"] == "applied", result
    kept = db.session.get(Visit, visit_id)
    assert kept.policies_explained == [{"id": str(policy.id), "title": "残疾军人抚恤金按月发放"}]


def test_a_title_the_policy_never_had_is_replaced_by_its_own(client, auth_headers, user,
                                                             dummy_beneficiary):
    policy = _policy(user)
    response = client.post("/api/v1/visits", headers=auth_headers("liaison1"), json=_visit(
        dummy_beneficiary, policies_explained=[{"id": str(policy.id), "title": "编造的标题"}]))
    assert response.json["policies_explained"][0]["title"] == "残疾军人抚恤金按月发放"


@pytest.mark.parametrize("explained, services, errors", [
    ([{"id": "00000000-0000-4000-8000-000000000000", "title": "x"}], [],
     {"policies_explained": ["政策库中没有这条政策"]}),
    ([], ["lottery"], {"services": ["没有这项便民服务：lottery"]}),
    ([], ["form", "form"], {"services": ["同一项便民服务只能选一次"]}),
    ([{"id": "not-a-uuid", "title": "x"}], [], None),
])
def test_a_bad_pick_is_a_rejected_mutation_the_others_apply(
        client, auth_headers, user, dummy_beneficiary, explained, services, errors):
    phone = Phone(client, auth_headers("liaison1"))
    results = phone.push([
        phone.mutation("visit", uuid.uuid4(), _visit(
            dummy_beneficiary, policies_explained=explained, services=services)),
        phone.mutation("visit", uuid.uuid4(), _visit(dummy_beneficiary)),
    ]).json["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    if errors is not None:
        assert results[0]["errors"] == errors
    else:
        assert "policies_explained" in results[0]["errors"]


def test_the_county_sets_its_own_services(app, client, auth_headers, dummy_beneficiary):
    original = app.config["LIANXIN_SERVICES"]
    app.config["LIANXIN_SERVICES"] = [{"code": "firewood", "label": "代购柴火"}]
    try:
        settings = client.get("/api/v1/meta/settings").json
        assert settings["services"] == [{"code": "firewood", "label": "代购柴火"}]
        response = client.post("/api/v1/visits", headers=auth_headers("liaison1"),
                               json=_visit(dummy_beneficiary, services=["firewood"]))
        assert response.status_code == 201
    finally:
        app.config["LIANXIN_SERVICES"] = original


# --- village meetings -----------------------------------------------------------------------


def _meeting(county, policy, people=(), **values):
    return {"village_id": str(county.regions["V11"]), "held_on": county_today().isoformat(),
            "place": "村委会院坝", "headcount": 30,
            "policies_explained": [{"id": str(policy.id), "title": policy.title}],
            "attendee_ids": [str(person.id) for person in people], **values}


def test_a_liaison_records_a_meeting_offline_and_it_reaches_staff(
        client, auth_headers, county, user, dummy_beneficiary):
    policy = _policy(user)
    phone = Phone(client, auth_headers("liaison1"))
    meeting_id = uuid.uuid4()
    results = phone.push([phone.mutation("outreach_meeting", meeting_id,
                                         _meeting(county, policy, [dummy_beneficiary]))]).json
    assert results["results"][0]["status"] == "applied", results
    meeting = db.session.get(OutreachMeeting, meeting_id)
    assert meeting.liaison_id == user("liaison1").id
    assert meeting.attendee_ids == [str(dummy_beneficiary.id)]
    listed = client.get("/api/v1/outreach-meetings", headers=auth_headers("township1")).json
    assert [item["id"] for item in listed["items"]] == [str(meeting_id)]
    # another village's liaison neither pulls nor lists it
    other = Phone(client, auth_headers("liaison3"))
    other.pull_all()
    assert other.ids("outreach_meeting") == set()
    assert factories.audit_rows(str(meeting_id), "create")


def test_a_meeting_checks_its_people_headcount_and_policies(
        client, auth_headers, county, user, dummy_beneficiary, other_beneficiary):
    policy = _policy(user)
    headers = auth_headers("liaison1")
    outsider = client.post("/api/v1/outreach-meetings", headers=headers,
                           json=_meeting(county, policy, [other_beneficiary]))
    assert outsider.status_code == 422
    assert outsider.json["errors"] == {"attendee_ids": ["勾选的人员须为本村的优抚对象"]}
    few = client.post("/api/v1/outreach-meetings", headers=headers,
                      json=_meeting(county, policy, [dummy_beneficiary], headcount=0))
    assert few.status_code == 422 and "headcount" in few.json["errors"]
    person2 = factories.beneficiary(county.regions["V11"], user("admin"), name="钱二")
    too_few = client.post("/api/v1/outreach-meetings", headers=headers,
                          json=_meeting(county, policy, [dummy_beneficiary, person2],
                                        headcount=1))
    assert too_few.json["errors"] == {"headcount": ["到场人数不能少于勾选的人数"]}
    none = client.post("/api/v1/outreach-meetings", headers=headers,
                       json={**_meeting(county, policy), "policies_explained": []})
    assert none.json["errors"] == {"policies_explained": ["请选择讲解的政策（1 至 20 条）"]}
    elsewhere = client.post("/api/v1/outreach-meetings", headers=headers,
                            json=_meeting(county, policy,
                                          village_id=str(county.regions["V21"])))
    assert elsewhere.json["errors"] == {"village_id": ["不在您的管辖范围内"]}
    tomorrow = (county_today() + timedelta(days=1)).isoformat()
    future = client.post("/api/v1/outreach-meetings", headers=headers,
                         json=_meeting(county, policy, held_on=tomorrow))
    assert future.json["errors"] == {"held_on": ["不能晚于今天"]}
    assert db.session.scalar(select(OutreachMeeting.id)) is None


def test_only_its_liaison_or_staff_change_a_meeting(client, auth_headers, county, user):
    policy = _policy(user)
    made = client.post("/api/v1/outreach-meetings", headers=auth_headers("liaison1"),
                       json=_meeting(county, policy)).json
    # a second liaison of the same village reads it but may not change it
    second = create_user(username="liaison1b", password=factories.PASSWORD, role="liaison",
                         region_id=county.regions["V11"])
    db.session.commit()
    token, _refresh = start_session(second)
    db.session.commit()
    refused = client.patch(f"/api/v1/outreach-meetings/{made['id']}",
                           headers={"Authorization": f"Bearer {token}"}, json={"place": "x"})
    assert refused.status_code == 403
    assert refused.json["detail"] == "只有记录的联络员或民政干部可以修改"
    outside = client.patch(f"/api/v1/outreach-meetings/{made['id']}",
                           headers=auth_headers("liaison2"), json={"place": "x"})
    assert outside.status_code == 404
    changed = client.patch(f"/api/v1/outreach-meetings/{made['id']}",
                           headers=auth_headers("township1"), json={"headcount": 45})
    assert changed.status_code == 200 and changed.json["headcount"] == 45


# --- the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_counts_outreach_and_services_by_village_and_township(
        client, auth_headers, county, user, dummy_beneficiary, other_beneficiary):
    first, second = _policy(user), _policy(user, "法律援助优先", "legal")
    both = [{"id": str(p.id), "title": p.title} for p in (first, second)]
    liaison1, liaison3 = auth_headers("liaison1"), auth_headers("liaison3")
    for body, headers in (
            (_visit(dummy_beneficiary, policies_explained=both, services=["form"]), liaison1),
            (_visit(dummy_beneficiary, services=["form", "repair"]), liaison1),
            (_visit(other_beneficiary, policies_explained=both[:1]), liaison3)):
        assert client.post("/api/v1/visits", json=body, headers=headers).status_code == 201
    meeting = client.post("/api/v1/outreach-meetings", headers=liaison1,
                          json=_meeting(county, first, [dummy_beneficiary], headcount=25))
    assert meeting.status_code == 201

    board = client.get("/api/v1/dashboard", headers=auth_headers("county1")).json
    totals = board["totals"]
    assert (totals["policy_visits"], totals["policies_explained"], totals["meetings"],
            totals["meeting_headcount"], totals["services"]) == (2, 4, 1, 25, 3)
    rows = {row["name"]: row for row in board["rows"]}
    township1 = next(row for row in board["rows"] if row["id"] == str(county.regions["T1"]))
    assert (township1["policies_explained"], township1["services"]) == (3, 3)
    assert sum(row["policies_explained"] for row in rows.values()) == 4
    kinds = {item["code"]: item["count"] for item in board["services"]}
    assert kinds["form"] == 2 and kinds["repair"] == 1 and kinds["medicine"] == 0

    village = client.get(f"/api/v1/dashboard?village_id={county.regions['V11']}",
                         headers=auth_headers("township1")).json
    assert village["totals"]["policies_explained"] == 3
    assert village["totals"]["meetings"] == 1

    # the bureau's monthly report says it too, per township
    report = client.get("/api/v1/reports/monthly.pdf", headers=auth_headers("township1"))
    [page] = ["".join(page.extract_text().split()) for page in PdfReader(BytesIO(report.data)).pages]
    assert ("本月走访中宣传政策1次，共讲解政策3条次；召开宣讲会1场，到场25人次；"
            "为群众办理便民服务3次。") in page
