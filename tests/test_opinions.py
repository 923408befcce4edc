"""Opinions a liaison collects (意见收集): recorded offline, handled as a migrant's form,
the reply carried back to the phone and marked 已转告."""

import uuid
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from server.common.timeutil import county_today
from server.extensions import db
from server.feedback import operations, opinions
from server.feedback.models import Feedback, Opinion
from server.notifications.models import Notification
from tests import factories
from tests.clock import APP_CLOCK, DEFAULT_NOW
from tests.sync_helpers import Phone

OPINIONS = "/api/v1/opinions"
FEEDBACK = "/api/v1/feedback"
NO_BENEFICIARY = "优抚对象不存在或不在您的管辖范围内"
NOT_YET_REPLIED = "尚未答复，不能标记已转告"


def opinion_data(today, **overrides):
    return {"category": "policy", "text": "问优待金什么时候发", "collected_on": today.isoformat(),
            **overrides}


def collect(actor, today, **values):
    """An opinion recorded by ``actor`` (through the operation REST and sync share)."""
    record = opinions.create_opinion(
        {"category": "rights", "text": "宅基地被占", "collected_on": today, **values}, actor)
    db.session.commit()
    return record


def feedback_of(opinion):
    return db.session.get(Feedback, opinion.feedback_id)


def push_one(phone, data, record_id=None, base_version=None):
    record_id = record_id or uuid.uuid4()
    response = phone.push([phone.mutation("opinion", record_id, data, base_version)])
    assert response.status_code == 200, response.json
    [result] = response.json["results"]
    return record_id, result


# --- recorded -------------------------------------------------------------------------------


def test_a_liaison_records_an_opinion_by_rest_and_it_becomes_a_feedback(
        client, auth_headers, dummy_beneficiary, county, user, today, app):
    response = client.post(OPINIONS, headers=auth_headers("liaison1"), json=opinion_data(
        today, beneficiary_id=str(dummy_beneficiary.id)))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "received" and body["reply"] is None and body["relayed_on"] is None
    assert body["village_id"] == str(county.regions["V11"])
    assert body["liaison_id"] == county.users["liaison1"]
    assert body["anonymous"] is False
    days = app.config["LIANXIN_FEEDBACK_DAYS"]
    assert body["deadline"] == (today + timedelta(days=days)).isoformat()

    feedback = db.session.get(Feedback, uuid.UUID(body["feedback_id"]))
    assert (feedback.source, feedback.collected_by_id) == ("liaison", county.users["liaison1"])
    assert (feedback.category, feedback.text) == ("policy", "问优待金什么时候发")
    assert feedback.beneficiary_id == dummy_beneficiary.id
    assert feedback.village_id == county.regions["V11"]
    assert feedback.deadline.isoformat() == body["deadline"]
    assert feedback.receipt_number == body["receipt_number"] and feedback.status == "received"
    # both written through versioning: an audit row each, by the liaison
    for record_id in (body["id"], body["feedback_id"]):
        [created] = factories.audit_rows(record_id, "create")
        assert created.user_id == county.users["liaison1"]

    # staff see it among the feedback, with its source, and may filter by it
    listed = client.get(FEEDBACK, headers=auth_headers("county1"),
                        query_string={"source": "liaison"}).json["items"]
    assert [(item["id"], item["source"], item["collected_by_name"]) for item in listed] == [
        (body["feedback_id"], "liaison", "liaison1")]
    assert client.get(FEEDBACK, headers=auth_headers("county1"),
                      query_string={"source": "form"}).json["items"] == []


def test_an_anonymous_opinion_keeps_nobody_and_lands_in_the_liaisons_village(
        client, auth_headers, county, today):
    response = client.post(OPINIONS, headers=auth_headers("liaison2"),
                           json=opinion_data(today, anonymous=True))
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["anonymous"], body["beneficiary_id"]) == (True, None)
    assert body["village_id"] == str(county.regions["V12"])
    feedback = db.session.get(Feedback, uuid.UUID(body["feedback_id"]))
    assert (feedback.beneficiary_id, feedback.village_id) == (None, county.regions["V12"])


def test_an_anonymous_opinion_naming_a_person_is_refused(client, auth_headers, dummy_beneficiary,
                                                          today):
    response = client.post(OPINIONS, headers=auth_headers("liaison1"), json=opinion_data(
        today, anonymous=True, beneficiary_id=str(dummy_beneficiary.id)))
    assert response.status_code == 422
    assert response.json["errors"] == {"beneficiary_id": ["匿名意见不能指定优抚对象"]}
    assert db.session.scalar(select(Opinion.id)) is None


def test_a_person_out_of_scope_is_refused_like_an_unknown_one(
        client, auth_headers, other_beneficiary, today):
    answers = [client.post(OPINIONS, headers=auth_headers("liaison1"),
                           json=opinion_data(today, beneficiary_id=str(person)))
               for person in (other_beneficiary.id, uuid.uuid4())]
    for response in answers:
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert response.json["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}
    assert db.session.scalar(select(Feedback.id)) is None


@pytest.mark.parametrize("change, field", [
    ({"category": "complaint"}, "category"),
    ({"text": "   "}, "text"),
    ({"text": "长" * 2001}, "text"),
    ({"collected_on": "2099-01-01"}, "collected_on"),
    ({"relayed_on": "2026-11-01"}, "relayed_on"),
])
def test_a_bad_opinion_is_a_422_problem_by_rest(client, auth_headers, today, change, field):
    response = client.post(OPINIONS, headers=auth_headers("liaison1"),
                           json=opinion_data(today, **change))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.json["errors"]) == [field]
    assert db.session.scalar(select(Feedback.id)) is None


def test_an_officer_records_one_for_a_person_of_their_area_only(
        client, auth_headers, dummy_beneficiary, other_beneficiary, county, today):
    township1 = auth_headers("township1")
    made = client.post(OPINIONS, headers=township1,
                       json=opinion_data(today, beneficiary_id=str(dummy_beneficiary.id)))
    assert made.status_code == 201 and made.json["liaison_id"] == county.users["township1"]
    refused = client.post(OPINIONS, headers=township1,
                          json=opinion_data(today, beneficiary_id=str(other_beneficiary.id)))
    assert refused.json["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}
    nobody = client.post(OPINIONS, headers=township1, json=opinion_data(today))
    assert nobody.json["errors"] == {"beneficiary_id": ["乡镇、县干部记录意见须指定优抚对象"]}


# --- by sync ---------------------------------------------------------------------------------


def test_pushed_opinions_bad_ones_are_rejected_and_the_rest_applied(
        client, auth_headers, dummy_beneficiary, other_beneficiary, county, today):
    phone = Phone(client, auth_headers("liaison1"))
    good, bad_category, empty, outsider, anonymous = (uuid.uuid4() for _ in range(5))
    response = phone.push([
        phone.mutation("opinion", good, opinion_data(
            today, beneficiary_id=str(dummy_beneficiary.id))),
        phone.mutation("opinion", bad_category, opinion_data(today, category="complaint")),
        phone.mutation("opinion", empty, opinion_data(today, text="")),
        phone.mutation("opinion", outsider, opinion_data(
            today, beneficiary_id=str(other_beneficiary.id))),
        phone.mutation("opinion", anonymous, opinion_data(today, anonymous=True)),
    ])
    assert response.status_code == 200, response.json
    results = {result["record_id"]: result for result in response.json["results"]}
    assert response.json["last_mutation_id"] == 5
    assert results[str(good)]["status"] == results[str(anonymous)]["status"] == "applied"
    assert results[str(bad_category)]["status"] == "rejected"
    assert list(results[str(bad_category)]["errors"]) == ["category"]
    assert results[str(empty)]["errors"] == {"text": ["此项不能为空"]}
    assert results[str(outsider)]["errors"] == {"beneficiary_id": [NO_BENEFICIARY]}

    stored = db.session.scalars(select(Opinion)).all()
    assert {opinion.id for opinion in stored} == {good, anonymous}
    assert {feedback_of(opinion).source for opinion in stored} == {"liaison"}
    # the phone pulls them back with what the server set
    phone.pull_all()
    pulled = phone.records[("opinion", str(good))]
    assert pulled["status"] == "received" and pulled["receipt_number"].startswith("FK")
    assert pulled["village_id"] == str(county.regions["V11"])


def test_the_reply_reaches_the_phone_and_the_liaison_is_told(
        client, auth_headers, dummy_beneficiary, county, user, today):
    phone = Phone(client, auth_headers("liaison1"))
    record_id, result = push_one(phone, opinion_data(
        today, beneficiary_id=str(dummy_beneficiary.id)))
    assert result["status"] == "applied"
    phone.pull_all()
    opinion = db.session.get(Opinion, record_id)
    staff = auth_headers("township1")
    url = f"{FEEDBACK}/{opinion.feedback_id}"
    detail = client.get(url, headers=staff).json
    assert (detail["source"], detail["collected_by_id"]) == ("liaison", county.users["liaison1"])

    assigned = client.post(f"{url}/assign", headers=staff,
                           json={"region_id": str(county.regions["T1"])})
    assert assigned.status_code == 200, assigned.json
    phone.pull()
    assert phone.records[("opinion", str(record_id))]["status"] == "assigned"

    replied = client.post(f"{url}/reply", headers=staff, json={"reply": "下月 10 日前发放"})
    assert replied.status_code == 200
    phone.pull()
    pulled = phone.records[("opinion", str(record_id))]
    assert (pulled["status"], pulled["reply"]) == ("replied", "下月 10 日前发放")
    assert pulled["replied_at"] == replied.json["replied_at"]
    [notice] = db.session.scalars(select(Notification).where(
        Notification.user_id == county.users["liaison1"])).all()
    assert notice.kind == "opinion_replied" and "转告" in notice.title
    assert notice.link == f"#/opinions/{record_id}"
    assert "下月 10 日前发放" in notice.body
    # the notification reaches the phone too
    phone.pull()
    assert str(notice.id) in phone.ids("notification")

    client.post(f"{url}/close", headers=staff)
    phone.pull()
    assert phone.records[("opinion", str(record_id))]["status"] == "closed"
    # every mirrored step is an audited change of the opinion
    assert len(factories.audit_rows(record_id, "update")) == 3


def test_a_migrants_form_is_mirrored_nowhere(client, auth_headers, user):
    feedback = operations.submit({"category": "policy", "text": "咨询", "phone": "13900001111"})
    db.session.commit()
    assert feedback.source == "form" and feedback.collected_by_id is None
    operations.reply(feedback, {"reply": "已答复"}, user("county1"))
    db.session.commit()
    assert db.session.scalar(select(Notification.id)) is None


# --- 已转告 -----------------------------------------------------------------------------------


def test_relayed_only_once_answered_and_not_before_the_reply(
        client, auth_headers, dummy_beneficiary, user, today):
    phone = Phone(client, auth_headers("liaison1"))
    record_id, _ = push_one(phone, opinion_data(today, beneficiary_id=str(dummy_beneficiary.id)))
    _, early = push_one(phone, {"relayed_on": today.isoformat()}, record_id, base_version=1)
    assert early["status"] == "rejected"
    assert early["errors"] == {"relayed_on": [NOT_YET_REPLIED]}

    opinion = db.session.get(Opinion, record_id)
    yesterday = today - timedelta(days=1)
    APP_CLOCK.set(DEFAULT_NOW + timedelta(hours=3))
    operations.reply(feedback_of(opinion), {"reply": "已协调"}, user("county1"))
    db.session.commit()
    version = opinion.version
    _, before = push_one(phone, {"relayed_on": yesterday.isoformat()}, record_id, version)
    assert before["errors"] == {"relayed_on": ["不能早于答复日期"]}
    _, relayed = push_one(phone, {"relayed_on": today.isoformat()}, record_id, version)
    assert relayed["status"] == "applied"
    db.session.expire_all()
    assert db.session.get(Opinion, record_id).relayed_on == county_today()


def test_nothing_else_of_a_sent_opinion_changes(client, auth_headers, user, today):
    opinion = collect(user("liaison1"), today)
    headers = auth_headers("liaison1")
    response = client.patch(f"{OPINIONS}/{opinion.id}", headers=headers,
                            json={"text": "改过的内容"})
    assert response.status_code == 422
    assert response.json["errors"] == {"text": ["意见已提交办理，不能修改；如有补充请另记一条"]}
    assert feedback_of(opinion).text == "宅基地被占"
    operations.reply(feedback_of(opinion), {"reply": "已处理"}, user("county1"))
    db.session.commit()
    done = client.patch(f"{OPINIONS}/{opinion.id}", headers=headers,
                        json={"relayed_on": today.isoformat(), "text": "宅基地被占"})
    assert done.status_code == 200 and done.json["relayed_on"] == today.isoformat()


# --- who sees it -------------------------------------------------------------------------------


def test_another_villages_liaison_neither_sees_nor_pulls_it(client, auth_headers, user, today):
    opinion = collect(user("liaison1"), today, anonymous=True)
    assert client.get(f"{OPINIONS}/{opinion.id}", headers=auth_headers("liaison1")).status_code == 200
    other = auth_headers("liaison3")
    assert client.get(f"{OPINIONS}/{opinion.id}", headers=other).status_code == 404
    assert client.get(OPINIONS, headers=other).json["items"] == []
    phone = Phone(client, other)
    phone.pull_all()
    assert phone.ids("opinion") == set()
    _, result = push_one(phone, {"relayed_on": today.isoformat()}, opinion.id, base_version=1)
    assert result["status"] == "rejected"
    own = Phone(client, auth_headers("liaison1"))
    own.pull_all()
    assert own.ids("opinion") == {str(opinion.id)}
    # liaisons never handle feedback itself
    assert client.get(f"{FEEDBACK}/{opinion.feedback_id}",
                      headers=auth_headers("liaison1")).status_code == 403


# --- the register and the dashboard ------------------------------------------------------------


def test_the_register_has_the_source(client, auth_headers, user, today):
    opinion = collect(user("liaison1"), today)
    form = operations.submit({"category": "policy", "text": "咨询", "phone": "13900001111"})
    db.session.commit()
    response = client.get(f"{FEEDBACK}/export.xlsx", headers=auth_headers("county1"))
    rows = list(load_workbook(BytesIO(response.data)).active.iter_rows(min_row=2,
                                                                       values_only=True))
    by_receipt = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_receipt[opinion.receipt_number]["来源"] == "联络员收集"
    assert by_receipt[opinion.receipt_number]["收集人"] == "liaison1"
    assert by_receipt[form.receipt_number]["来源"] == "表单/连心卡"
    assert client.get("/api/v1/meta/choices").json["feedback_sources"] == {
        "form": "表单/连心卡", "liaison": "联络员收集"}


def test_the_dashboard_counts_opinions_per_village_and_figures_by_source(
        client, auth_headers, county, user, today):
    liaison1, liaison3 = user("liaison1"), user("liaison3")
    answered = collect(liaison1, today)
    collect(liaison1, today, anonymous=True)
    collect(liaison3, today)  # township 2: outside township1's dashboard
    operations.submit({"category": "policy", "text": "咨询", "phone": "13900001111"})
    db.session.commit()
    APP_CLOCK.set(DEFAULT_NOW + timedelta(hours=6))
    operations.reply(feedback_of(answered), {"reply": "已处理"}, user("county1"))
    db.session.commit()

    month = today.strftime("%Y-%m")
    county_view = client.get("/api/v1/dashboard", headers=auth_headers("county1"),
                             query_string={"month": month}).json
    assert county_view["totals"]["opinions"] == 3
    assert {row["name"]: row["opinions"] for row in county_view["rows"]} == {
        "一号镇": 2, "二号镇": 1}
    by_source = {figures["source"]: figures for figures in county_view["feedback_by_source"]}
    assert by_source["liaison"]["label"] == "联络员收集"
    assert (by_source["liaison"]["received"], by_source["liaison"]["replied"]) == (3, 1)
    assert by_source["liaison"]["reply_rate"] == round(1 / 3, 4)
    assert 5.9 <= by_source["liaison"]["mean_hours_to_reply"] <= 6.1
    assert (by_source["form"]["received"], by_source["form"]["replied"]) == (1, 0)
    assert by_source["form"]["reply_rate"] == 0 and by_source["form"]["mean_hours_to_reply"] is None

    township = client.get("/api/v1/dashboard", headers=auth_headers("township1"), query_string={
        "month": month, "township_id": str(county.regions["T1"])}).json
    rows = {row["id"]: row["opinions"] for row in township["rows"]}
    assert rows == {str(county.regions["V11"]): 2, str(county.regions["V12"]): 0}
    assert township["totals"]["opinions"] == 2
    by_source = {figures["source"]: figures for figures in township["feedback_by_source"]}
    assert by_source["liaison"]["received"] == 2  # liaison3's opinion is another township's

    report = client.get("/api/v1/reports/monthly.pdf", headers=auth_headers("township1"),
                        query_string={"month": month})
    [page] = [page.extract_text() for page in PdfReader(BytesIO(report.data)).pages]
    assert "本月联络员收集群众意见2件" in "".join(page.split())


def test_an_opinion_gets_the_forms_reminders_and_escalation(county, user, today):
    from server.jobs import reminders

    opinion = collect(user("liaison1"), today)
    feedback = feedback_of(opinion)
    sent = reminders.remind_feedback_deadlines(opinion.deadline + timedelta(days=1))
    db.session.commit()
    assert sent["escalated"] == 1
    assert feedback.reminders_sent & reminders.ESCALATED
    [notice] = db.session.scalars(select(Notification).where(
        Notification.user_id == county.users["county1"])).all()
    assert notice.kind == "feedback_overdue" and feedback.receipt_number in notice.body


def test_a_phone_cannot_delete_or_move_an_opinion(client, auth_headers, dummy_beneficiary,
                                                  user, today):
    phone = Phone(client, auth_headers("liaison1"))
    record_id, _ = push_one(phone, opinion_data(today, anonymous=True))
    other = factories.beneficiary(dummy_beneficiary.village_id, user("admin"), name="王乙")
    _, moved = push_one(phone, {"beneficiary_id": str(other.id)}, record_id, base_version=1)
    assert moved["status"] == "rejected" and list(moved["errors"]) == ["beneficiary_id"]
    response = phone.push([phone.mutation("opinion", record_id, {}, 1, op="delete")])
    [deleted] = response.json["results"]
    assert deleted["status"] == "rejected"
    db.session.expire_all()
    assert db.session.get(Opinion, record_id).deleted_at is None
