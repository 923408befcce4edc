"""The review queue, a visit's full content, returning and bulk approval (issue 5)."""

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.records.models import AuditEntry, SyncChange
from server.visits import operations as visits
from server.visits import photos
from server.visits.models import Attachment, Visit
from tests import factories

QUEUE = "/api/v1/review/visits"
BULK = "/api/v1/review/approve-village"


@pytest.fixture
def last_month(today):
    """A day of the previous month, so visits of it are never in the future."""
    return today.replace(day=1) - timedelta(days=10)


@pytest.fixture
def make(county, user):
    """``make("V11", day, ...)`` -> a visit recorded by the village's liaison."""
    liaisons = {"V11": "liaison1", "V12": "liaison2", "V21": "liaison3"}

    def visit(village, day, *, name="张三", visit_type="monthly", summary="身体尚好", **values):
        person = factories.beneficiary(county.regions[village], user("admin"), name=name)
        record = visits.create_visit({
            "beneficiary_id": person.id, "visit_type": visit_type, "visited_on": day,
            "summary": summary, **values}, user(liaisons[village]))
        db.session.commit()
        return record

    return visit


def ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_queue_lists_visits_with_names_newest_first(client, auth_headers, make, today, last_month):
    old = make("V11", last_month, name="李老")
    new = make("V12", today, name="王新", visit_type="sick", summary="感冒")
    response = client.get(QUEUE, headers=auth_headers("township1"))
    assert ids(response) == [str(new.id), str(old.id)]
    first = response.json["items"][0]
    assert first["beneficiary_name"] == "王新"
    assert first["village_name"] == "一号镇乙村"
    assert first["township_name"] == "一号镇"
    assert first["liaison_name"] == "liaison2"
    assert first["visit_type"] == "sick"
    assert first["review_status"] == "pending"
    assert first["photo_count"] == 0 and first["has_location"] is False
    assert response.json["total"] == 2


def test_queue_filters(client, auth_headers, make, county, user, today, last_month):
    a = make("V11", last_month, name="甲")
    b = make("V12", last_month, name="乙", visit_type="hardship")
    c = make("V21", today, name="丙")
    d = make("V11", today, name="丁")
    visits.review_visit(d, "return", "请补充", user("township1"))
    db.session.commit()
    headers = auth_headers("county1")
    month = last_month.strftime("%Y-%m")
    t1, v11 = county.regions["T1"], county.regions["V11"]
    assert set(ids(client.get(QUEUE, headers=headers))) == {str(x.id) for x in (a, b, c, d)}
    assert set(ids(client.get(QUEUE, query_string={"township_id": t1}, headers=headers))) == {
        str(a.id), str(b.id), str(d.id)}
    assert set(ids(client.get(QUEUE, query_string={"village_id": v11}, headers=headers))) == {
        str(a.id), str(d.id)}
    assert ids(client.get(QUEUE, query_string={"visit_type": "hardship"}, headers=headers)) == [
        str(b.id)]
    assert set(ids(client.get(QUEUE, query_string={"month": month}, headers=headers))) == {
        str(a.id), str(b.id)}
    assert ids(client.get(QUEUE, query_string={"review_status": "returned"},
                          headers=headers)) == [str(d.id)]
    assert ids(client.get(QUEUE, query_string={"q": "丙"}, headers=headers)) == [str(c.id)]
    page = client.get(QUEUE, query_string={"per_page": 1, "page": 2}, headers=headers)
    assert page.json["total"] == 4 and len(page.json["items"]) == 1


def test_township_officer_sees_and_reviews_only_their_township(
        client, auth_headers, make, county, today):
    own = make("V11", today)
    other = make("V21", today)
    headers = auth_headers("township1")
    assert ids(client.get(QUEUE, headers=headers)) == [str(own.id)]
    refused = client.get(QUEUE, query_string={"township_id": county.regions["T2"]},
                         headers=headers)
    assert refused.status_code == 422 and "township_id" in refused.json["errors"]
    refused = client.get(QUEUE, query_string={"village_id": county.regions["V21"]},
                         headers=headers)
    assert refused.status_code == 422 and "village_id" in refused.json["errors"]
    assert client.get(f"{QUEUE}/{other.id}", headers=headers).status_code == 404
    review = client.post(f"/api/v1/visits/{other.id}/review", headers=headers,
                         json={"decision": "approve"})
    assert review.status_code == 404
    assert db.session.get(Visit, other.id).review_status == "pending"
    assert client.get(QUEUE, headers=auth_headers("liaison1")).status_code == 403


def test_detail_shows_content_person_photos_location_and_history(
        client, auth_headers, make, county, user, today):
    data = factories.image_bytes("PNG")
    photo = uuid.uuid4()
    photos.store(photo, data, "image/png", hashlib.sha256(data).hexdigest(), user("liaison1"))
    stored = db.session.get(Attachment, photo)
    missing = uuid.uuid4()
    visit = make("V11", today, name="刘英", visit_type="hardship", summary="住房漏雨",
                 needs="修缮屋顶", details={"difficulty": "housing", "helper": "罗晓红"},
                 photo_ids=[photo, missing], location={"lat": 31.5, "lng": 107.1, "accuracy": 12})
    headers = auth_headers("township1")
    client.post(f"/api/v1/visits/{visit.id}/review", headers=headers,
                json={"decision": "return", "comment": "请写明帮扶计划"})
    body = client.get(f"{QUEUE}/{visit.id}", headers=headers).json
    assert body["visit"]["summary"] == "住房漏雨"
    assert body["visit"]["needs"] == "修缮屋顶"
    assert body["visit"]["details"]["difficulty"] == "housing"
    assert body["visit"]["location"] == {"lat": 31.5, "lng": 107.1, "accuracy": 12.0}
    assert body["visit"]["review_status"] == "returned"
    assert body["visit"]["review_comment"] == "请写明帮扶计划"
    assert body["beneficiary"]["name"] == "刘英"
    assert "*" in body["beneficiary"]["id_number"]
    assert body["village_name"] == "一号镇甲村" and body["township_name"] == "一号镇"
    assert body["liaison_name"] == "liaison1" and body["reviewer_name"] == "township1"
    assert body["photos"] == [
        {"id": str(photo), "uploaded": True, "content_type": "image/png", "size": stored.size},
        {"id": str(missing), "uploaded": False, "content_type": None, "size": None},
    ]
    assert [(h["action"], h["username"]) for h in body["history"]] == [
        ("create", "liaison1"), ("review", "township1")]
    assert body["history"][1]["comment"] == "请写明帮扶计划"
    assert "review_status" in body["history"][1]["fields"]
    # the photo itself, read with the reviewer's token
    picture = client.get(f"/api/v1/attachments/{photo}", headers=headers)
    assert picture.status_code == 200 and picture.data == photos.photo_store().read(stored.file_key)


def test_returned_visit_reaches_the_liaisons_phone_and_comes_back_pending(
        client, auth_headers, make, today):
    visit = make("V11", today)
    staff = auth_headers("township1")
    returned = client.post(f"/api/v1/visits/{visit.id}/review", headers=staff,
                           json={"decision": "return", "comment": "请写明生活情况"})
    assert returned.status_code == 200 and returned.json["version"] == 2
    phone = auth_headers("liaison1")
    pulled = client.get("/api/v1/sync/pull", headers={**phone, "X-Client-Id": "phone-review-1"})
    change = next(c for c in pulled.json["changes"] if c["record_id"] == str(visit.id))
    assert change["data"]["review_status"] == "returned"
    assert change["data"]["review_comment"] == "请写明生活情况"
    fixed = client.patch(f"/api/v1/visits/{visit.id}", headers=phone,
                         json={"summary": "生活平稳，低保已落实"})
    assert fixed.json["review_status"] == "pending"
    listed = client.get(QUEUE, query_string={"review_status": "pending"}, headers=staff)
    assert ids(listed) == [str(visit.id)]
    approved = client.post(f"/api/v1/visits/{visit.id}/review", headers=staff,
                           json={"decision": "approve"})
    assert approved.json["review_status"] == "approved"


def test_a_returned_visit_tells_its_liaison_and_an_approved_one_does_not(
        client, auth_headers, make, today, user):
    from server.notifications.models import Notification

    returned, approved = make("V11", today, name="退回甲"), make("V11", today, name="通过乙")
    staff = auth_headers("township1")
    client.post(f"/api/v1/visits/{returned.id}/review", headers=staff,
                json={"decision": "return", "comment": "请写明生活情况"})
    client.post(f"/api/v1/visits/{returned.id}/review", headers=staff,  # the same again
                json={"decision": "return", "comment": "请写明生活情况"})
    client.post(f"/api/v1/visits/{approved.id}/review", headers=staff, json={"decision": "approve"})
    notices = db.session.scalars(select(Notification).where(
        Notification.user_id == user("liaison1").id)).all()
    assert [(n.kind, n.link) for n in notices] == [("visit_returned", f"#/visit/{returned.id}")]
    assert "退回甲" in notices[0].body and "请写明生活情况" in notices[0].body
    pulled = client.get("/api/v1/sync/pull", headers={**auth_headers("liaison1"),
                                                       "X-Client-Id": "phone-review-2"})
    assert any(c["entity"] == "notification" and c["record_id"] == str(notices[0].id)
               for c in pulled.json["changes"])


def test_approve_village_approves_each_pending_visit_of_the_month(
        client, auth_headers, make, county, user, today, last_month):
    first = make("V11", last_month, name="甲")
    second = make("V11", last_month, name="乙", visit_type="sick")
    returned = make("V11", last_month, name="丙")
    visits.review_visit(returned, "return", "补充", user("township1"))
    approved_before = make("V11", last_month, name="丁")
    visits.review_visit(approved_before, "approve", None, user("township1"))
    this_month = make("V11", today, name="戊")
    neighbour = make("V12", last_month, name="己")
    db.session.commit()
    before = {v.id: v.version for v in (first, second, returned, approved_before)}

    response = client.post(BULK, headers=auth_headers("township1"), json={
        "village_id": str(county.regions["V11"]), "month": last_month.strftime("%Y-%m")})
    assert response.status_code == 200, response.json
    assert response.json["approved"] == 2
    assert set(response.json["visit_ids"]) == {str(first.id), str(second.id)}
    assert response.json["skipped_returned"] == 1

    def status(visit):
        return db.session.get(Visit, visit.id).review_status

    assert [status(v) for v in (first, second, returned, approved_before, this_month, neighbour)
            ] == ["approved", "approved", "returned", "approved", "pending", "pending"]
    for visit in (first, second):
        row = db.session.get(Visit, visit.id)
        assert row.version == before[visit.id] + 1
        assert row.reviewed_by_id == user("township1").id
        reviews = db.session.scalars(select(AuditEntry).where(
            AuditEntry.record_id == str(visit.id), AuditEntry.action == "review")).all()
        assert len(reviews) == 1 and reviews[0].username == "township1"
        assert db.session.scalar(select(SyncChange.seq).where(
            SyncChange.record_id == visit.id, SyncChange.entity == "visit")) is not None
    # approved visits are locked for the liaison
    locked = client.patch(f"/api/v1/visits/{first.id}", headers=auth_headers("liaison1"),
                          json={"summary": "改"})
    assert locked.status_code == 409


def test_approve_village_with_a_type_and_out_of_scope(client, auth_headers, make, county,
                                                      last_month):
    monthly = make("V11", last_month, name="甲")
    sick = make("V11", last_month, name="乙", visit_type="sick")
    month = last_month.strftime("%Y-%m")
    response = client.post(BULK, headers=auth_headers("county1"), json={
        "village_id": str(county.regions["V11"]), "month": month, "visit_type": "sick"})
    assert response.json["visit_ids"] == [str(sick.id)]
    assert db.session.get(Visit, monthly.id).review_status == "pending"
    other = client.post(BULK, headers=auth_headers("township1"), json={
        "village_id": str(county.regions["V21"]), "month": month})
    assert other.status_code == 422 and "village_id" in other.json["errors"]
    liaison = client.post(BULK, headers=auth_headers("liaison1"), json={
        "village_id": str(county.regions["V11"]), "month": month})
    assert liaison.status_code == 403
    bad = client.post(BULK, headers=auth_headers("county1"), json={
        "village_id": str(county.regions["V11"]), "month": "2026-13"})
    assert bad.status_code == 422 and "month" in bad.json["errors"]
