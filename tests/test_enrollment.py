"""Enrollment slips: a liaison's printed one-time QR login (#18 point 3)."""

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from server.enrollment.codes import code_hash
from server.enrollment.models import EnrollmentSlip
from server.enrollment.slips_pdf import PrintedSlip, render_slips
from server.extensions import db
from server.records.models import AuditEntry
from server.users.models import LoginSession
from tests.apps import PUBLIC_BASE_URL
from tests.clock import APP_CLOCK, COUNTY, DEFAULT_NOW
from tests.test_cards import pdf_text, qr_urls

PRINT = "/api/v1/enrollments/slips.pdf"
ENROLL = "/api/v1/auth/enroll"
CODE_URL = re.compile(rf"^{re.escape(PUBLIC_BASE_URL)}/#/enroll/([A-Za-z0-9_-]{{24}})$")
PHONE, OTHER_PHONE = "phone-aaaa-1111", "phone-bbbb-2222"


def print_slips(client, headers, **selection):
    response = client.post(PRINT, json=selection, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def codes_of(response):
    """The codes of a printed PDF, read from its QR codes as a phone camera would."""
    urls = qr_urls(response.data)
    codes = []
    for url in urls:
        match = CODE_URL.match(url)
        assert match, url
        codes.append(match.group(1))
    return codes


def issue(client, auth_headers, county, username="liaison1", by="admin", **extra):
    response = print_slips(client, auth_headers(by), user_ids=[county.users[username]], **extra)
    [code] = codes_of(response)
    return code


def enroll(client, code, client_id=PHONE):
    return client.post(ENROLL, json={"code": code, "client_id": client_id})


def audits(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


def test_the_slip_pdf_names_the_liaison_and_its_qr_code_is_the_login(
        client, auth_headers, county):
    response = print_slips(client, auth_headers("admin"),
                           user_ids=[county.users["liaison1"], county.users["liaison2"]])
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Slips-Printed"] == "2"
    text = pdf_text(response.data)
    until = (DEFAULT_NOW + timedelta(days=7)).astimezone(COUNTY).date()
    for words in ("联络员登录单", "姓名  liaison1", "测试县一号镇一号镇甲村", "用户名  liaison1",
                  "姓名  liaison2", "测试县民政局",
                  f"有效期至  {until.year}年{until.month}月{until.day}日",
                  "用手机相机扫描二维码即可登录；", "本单只能用一次，请勿给他人。"):
        assert words in text, words
    codes = codes_of(response)
    assert len(codes) == 2 and len(set(codes)) == 2
    # only a keyed hash is kept, and no audit row holds a code
    slips = db.session.scalars(select(EnrollmentSlip)).all()
    assert {slip.code_hash for slip in slips} >= {code_hash(code) for code in codes}
    assert all(code not in slip.code_hash for slip in slips for code in codes)
    issued = audits("issue_enrollment")
    assert len(issued) == 2
    assert all(code not in str(row.changes) for row in issued for code in codes)

    answer = enroll(client, codes[0])
    assert answer.status_code == 200, answer.json
    login = client.post("/api/v1/auth/login", json={"username": "liaison2",
                                                    "password": "Lianxin-test-2026"})
    assert set(answer.json) == set(login.json)  # exactly what a login returns
    assert answer.json["user"]["username"] == "liaison1"
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {answer.json['access_token']}"})
    assert me.json["username"] == "liaison1"
    [used] = audits("enroll")
    assert used.changes == {"client_id": PHONE, "first_use": True}


def test_a_used_slip_signs_in_its_own_phone_again_and_no_other(client, auth_headers, county):
    code = issue(client, auth_headers, county)
    assert enroll(client, code).status_code == 200
    again = enroll(client, code)  # the answer was lost on a weak signal: the phone retries
    assert again.status_code == 200
    photographed = enroll(client, code, OTHER_PHONE)
    assert photographed.status_code == 401
    assert photographed.json["code"] == "enroll_used_elsewhere"
    assert "请找乡镇民政办重新打印登录单" in photographed.json["detail"]
    refused = audits("enroll_refused")
    assert [(r.changes["reason"], r.changes["client_id"], r.user_id) for r in refused] == [
        ("used_elsewhere", OTHER_PHONE, county.users["liaison1"])]
    slip = db.session.scalar(select(EnrollmentSlip).where(
        EnrollmentSlip.code_hash == code_hash(code)))
    assert slip.used_client_id == PHONE
    sessions = db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == county.users["liaison1"]))
    assert sessions == 2


def test_a_slip_expires_after_the_configured_days(client, auth_headers, county, app):
    code = issue(client, auth_headers, county)
    APP_CLOCK.set(DEFAULT_NOW + timedelta(days=7, seconds=1))
    expired = enroll(client, code)
    assert (expired.status_code, expired.json["code"]) == (401, "enroll_expired")
    assert "已过期" in expired.json["detail"]


def test_the_days_come_from_the_setting(client, auth_headers, county, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_ENROLL_DAYS", 2)
    code = issue(client, auth_headers, county)
    slip = db.session.scalar(select(EnrollmentSlip).where(
        EnrollmentSlip.code_hash == code_hash(code)))
    assert slip.expires_at - slip.issued_at == timedelta(days=2)


def test_a_new_slip_revokes_the_unused_one_and_a_revoked_slip_is_refused(
        client, auth_headers, county):
    first = issue(client, auth_headers, county)
    second = issue(client, auth_headers, county, by="township1")
    old = enroll(client, first)
    assert (old.status_code, old.json["code"]) == (401, "enroll_revoked")
    slip = db.session.scalar(select(EnrollmentSlip).where(
        EnrollmentSlip.code_hash == code_hash(second)))
    revoked = client.post(f"/api/v1/enrollments/{slip.id}/revoke",
                          headers=auth_headers("township1"))
    assert revoked.status_code == 204
    refused = enroll(client, second)
    assert refused.json["code"] == "enroll_revoked"
    assert [row.changes["liaison"] for row in audits("revoke_enrollment")] == ["liaison1"]


def test_an_unknown_code_is_refused_and_audited(client):
    for code in ("A" * 24, "not a code", "x" * 200):
        answer = enroll(client, code)
        assert (answer.status_code, answer.json["code"]) == (401, "enroll_unknown")
    assert [row.changes["reason"] for row in audits("enroll_refused")] == ["unknown"] * 3


def test_a_disabled_liaison_is_refused(client, auth_headers, county, user):
    code = issue(client, auth_headers, county)
    user("liaison1").active = False
    db.session.commit()
    answer = enroll(client, code)
    assert (answer.status_code, answer.json["code"]) == (403, "account_disabled")


def test_refused_codes_from_one_address_are_slowed_down(client):
    for _ in range(20):  # LIANXIN_LOCKOUT_ATTEMPTS (5) × 4 within the window
        assert enroll(client, "B" * 24).status_code == 401
    slowed = enroll(client, "B" * 24)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
    assert audits("enroll_refused")[-1].changes == {"reason": "too_many_attempts"}


def test_sign_out_old_phone_ends_the_liaisons_sessions(client, auth_headers, county):
    lost_phone = auth_headers("liaison1")
    assert client.get("/api/v1/auth/me", headers=lost_phone).status_code == 200
    issue(client, auth_headers, county, by="township1")  # a plain reprint signs nobody out
    assert client.get("/api/v1/auth/me", headers=lost_phone).status_code == 200
    code = issue(client, auth_headers, county, by="township1", sign_out_old_phone=True)
    assert client.get("/api/v1/auth/me", headers=lost_phone).status_code == 401
    assert audits("issue_enrollment")[-1].changes["sessions_ended"] == 1
    assert enroll(client, code).status_code == 200


def test_a_township_officer_prints_for_their_township_only(client, auth_headers, county):
    other = client.post(PRINT, json={"user_ids": [county.users["liaison3"]]},
                        headers=auth_headers("township1"))
    assert other.status_code == 422 and "user_ids" in other.json["errors"]
    township = print_slips(client, auth_headers("township1"))
    assert township.headers["X-Slips-Printed"] == "2"  # liaison1 and liaison2
    own = print_slips(client, auth_headers("township1"), village_id=str(county.regions["V12"]))
    assert own.headers["X-Slips-Printed"] == "1"
    t2 = client.post(PRINT, json={"township_id": str(county.regions["T2"])},
                     headers=auth_headers("township1"))
    assert t2.status_code == 422 and "township_id" in t2.json["errors"]
    assert client.post(PRINT, json={}, headers=auth_headers("liaison1")).status_code == 403
    county_wide = print_slips(client, auth_headers("county1"))
    assert county_wide.headers["X-Slips-Printed"] == "3"


def test_only_without_slip_leaves_the_enrolled_alone(client, auth_headers, county):
    code = issue(client, auth_headers, county)
    enroll(client, code)
    issue(client, auth_headers, county, username="liaison2")
    rest = print_slips(client, auth_headers("admin"), only_without_slip=True)
    assert rest.headers["X-Slips-Printed"] == "1"  # liaison3 alone
    nothing = client.post(PRINT, json={"only_without_slip": True},
                          headers=auth_headers("admin"))
    assert nothing.status_code == 422


def test_nothing_is_printed_while_the_public_address_is_loopback(
        client, auth_headers, county, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    refused = client.post(PRINT, json={}, headers=auth_headers("admin"))
    assert refused.status_code == 409 and refused.json["code"] == "public_url_not_set"
    assert db.session.scalar(select(func.count()).select_from(EnrollmentSlip)) == 0


def test_the_list_shows_each_liaison_with_the_state_of_their_slip(client, auth_headers, county):
    used = issue(client, auth_headers, county)
    enroll(client, used)
    issue(client, auth_headers, county, username="liaison2")
    listed = client.get("/api/v1/enrollments", headers=auth_headers("township1"))
    assert listed.status_code == 200
    items = listed.json["items"]
    assert [(i["user"]["username"], i["village"]["name"], i["village"]["township_name"],
             i["slip"]["state"]) for i in items] == [
        ("liaison1", "一号镇甲村", "一号镇", "used"), ("liaison2", "一号镇乙村", "一号镇", "valid")]
    everyone = client.get("/api/v1/enrollments", headers=auth_headers("county1")).json["items"]
    assert [i["slip"] for i in everyone if i["user"]["username"] == "liaison3"] == [None]
    village = client.get("/api/v1/enrollments", query_string={
        "village_id": str(county.regions["V12"])}, headers=auth_headers("admin")).json["items"]
    assert [i["user"]["username"] for i in village] == ["liaison2"]
    APP_CLOCK.set(DEFAULT_NOW + timedelta(days=8))
    later = client.get("/api/v1/enrollments", headers=auth_headers("admin")).json["items"]
    assert [i["slip"]["state"] for i in later if i["slip"]] == ["used", "expired"]


def test_a_slip_of_another_township_cannot_be_revoked(client, auth_headers, county):
    issue(client, auth_headers, county, username="liaison3")
    slip = db.session.scalar(select(EnrollmentSlip))
    answer = client.post(f"/api/v1/enrollments/{slip.id}/revoke",
                         headers=auth_headers("township1"))
    assert answer.status_code == 404
    assert client.post(f"/api/v1/enrollments/{slip.id}/revoke",
                       headers=auth_headers("liaison3")).status_code == 403
    assert db.session.get(EnrollmentSlip, slip.id).revoked_at is None


@pytest.mark.parametrize("body", [{"code": "x"}, {"client_id": "phone-1234"}, {}])
def test_enroll_needs_a_code_and_a_client_id(client, body):
    assert client.post(ENROLL, json=body).status_code == 422


def test_eight_slips_to_a_page_each_with_its_own_readable_code(app):
    slips = [PrintedSlip(name=f"联络员{index}", username=f"lx51082210120{index}",
                         village="巴山县青龙镇" + "很长的名字" * 6 + f"村{index}",
                         url=f"{PUBLIC_BASE_URL}/#/enroll/{'A' * 23}{index}",
                         valid_until=date(2026, 12, 5)) for index in range(9)]
    data = render_slips(slips, issuer="巴山县民政局")
    assert len(PdfReader(BytesIO(data)).pages) == 2
    assert sorted(qr_urls(data)) == sorted(slip.url for slip in slips)
    text = pdf_text(data)
    assert "有效期至  2026年12月5日" in text and "联络员8" in text
    assert "…" in text  # a village name too long for two lines is cut short, not overprinted
