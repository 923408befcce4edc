"""The staff screens in a real Chromium, next to a liaison's phone (issue 5).

Two browser contexts: a township officer at a desktop and liaison1's phone. The
reviewer returns a visit with a comment, the phone shows it after sync, the liaison
fixes it, the reviewer approves it.
"""

import uuid
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.common.timeutil import utcnow
from server.extensions import db
from server.sync.models import SyncClient, SyncConflict
from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import (
    eventually,
    log_in,
    open_person,
    saved_visits,
    visits_of,
    wait_synced,
)

PASSWORD = factories.PASSWORD


@pytest.fixture
def person(api, live_app):
    county = live_app.extensions["lianxin_test_county"]
    values = factories.beneficiary_values(str(county.regions["V11"]),
                                          name=f"审{factories.id_number()[-4:]}")
    response = api("post", "/api/v1/beneficiaries", "township1", json=values)
    assert response.status_code == 201, response.json
    return response.json


def staff_log_in(page, base, username, password=PASSWORD):
    page.goto(base + "/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("staff-nav").wait_for()


def open_in_queue(page, name):
    page.get_by_test_id("nav-review").click()
    page.get_by_test_id("review-page").wait_for()
    page.get_by_test_id("filter-q").fill(name)
    page.get_by_test_id("filter-q").press("Enter")
    row = page.get_by_test_id("review-row").filter(has_text=name).first
    row.wait_for()
    return row


def test_reviewer_returns_the_liaison_fixes_the_reviewer_approves(live_server, phone, desk, api,
                                                                   person):
    liaison = phone.new_page()
    log_in(liaison, live_server)
    open_person(liaison, person["name"])
    liaison.get_by_test_id("record-visit").click()
    liaison.get_by_test_id("input-summary").fill("走访了")
    liaison.get_by_test_id("save").click()
    visit = saved_visits(liaison, api, person["id"])[0]
    wait_synced(liaison)

    reviewer = desk.new_page()
    staff_log_in(reviewer, live_server, "township1")
    row = open_in_queue(reviewer, person["name"])
    assert row.get_attribute("data-status") == "pending"
    screenshot(reviewer, "20-review-queue")
    row.get_by_test_id("review-open").click()
    reviewer.get_by_test_id("review-detail").wait_for()
    assert "走访了" in reviewer.get_by_test_id("review-summary").inner_text()
    reviewer.get_by_test_id("review-return").click()  # no comment: refused in the page
    assert reviewer.get_by_test_id("review-detail").is_visible()
    reviewer.get_by_test_id("review-comment-input").fill("请写明生活情况")
    screenshot(reviewer, "21-review-detail")
    reviewer.get_by_test_id("review-return").click()
    reviewer.get_by_test_id("review-page").wait_for()
    assert visits_of(api, person["id"])[0]["review_status"] == "returned"

    wait_synced(liaison)
    liaison.get_by_test_id("review-comment").first.wait_for(timeout=20000)
    assert "请写明生活情况" in liaison.get_by_test_id("review-comment").first.inner_text()
    screenshot(liaison, "22-phone-returned")
    liaison.get_by_test_id("visit-row").first.click()
    liaison.get_by_test_id("input-summary").fill("走访了，生活情况良好，低保已落实。")
    liaison.get_by_test_id("save").click()
    liaison.get_by_test_id("sync-now").click()
    eventually(liaison, lambda: visits_of(api, person["id"])[0]["review_status"] == "pending")

    row = open_in_queue(reviewer, person["name"])
    assert row.get_attribute("data-status") == "pending"
    row.get_by_test_id("review-open").click()
    reviewer.get_by_test_id("review-detail").wait_for()
    assert "低保已落实" in reviewer.get_by_test_id("review-summary").inner_text()
    reviewer.get_by_test_id("review-approve").click()
    reviewer.get_by_test_id("review-page").wait_for()
    approved = visits_of(api, person["id"])[0]
    assert approved["id"] == visit["id"] and approved["review_status"] == "approved"
    wait_synced(liaison)
    eventually(liaison, lambda: liaison.get_by_test_id("review-comment").count() == 0)


def test_dashboard_ledger_export_and_report(live_server, live_app, desk, api, person):
    """County staff: the dashboard drills down; a ledger exports in a background thread
    with progress and downloads; the monthly report downloads."""
    saved = live_app.config.get("LIANXIN_EXPORT_INLINE")
    live_app.config["LIANXIN_EXPORT_INLINE"] = False  # the real thing: a background thread
    try:
        page = desk.new_page()
        staff_log_in(page, live_server, "county1")
        page.get_by_test_id("nav-dashboard").click()
        page.get_by_test_id("dashboard-page").wait_for()
        assert page.get_by_test_id("dash-row").count() == 2
        assert page.get_by_test_id("rate-chart").is_visible()
        screenshot(page, "23-dashboard")
        page.get_by_test_id("dash-row").filter(has_text="一号镇").get_by_test_id("dash-drill").click()
        page.locator("[data-testid=dashboard-page][data-level=township]").wait_for()
        page.get_by_test_id("dash-row").filter(has_text="一号镇甲村").get_by_test_id("dash-drill").click()
        page.locator("[data-testid=dashboard-page][data-level=village]").wait_for()
        assert page.get_by_test_id("dash-not-visited").is_visible()

        page.get_by_test_id("nav-exports").click()
        page.get_by_test_id("exports-page").wait_for()
        page.get_by_test_id("export-month").fill("")
        page.get_by_test_id("export-start").click()
        page.locator("[data-testid=export-job][data-status=done]").wait_for(timeout=30000)
        with page.expect_download() as info:
            page.get_by_test_id("export-download").click()
        download = info.value
        assert download.suggested_filename.startswith("走访台账")
        sheet = load_workbook(BytesIO(Path(download.path()).read_bytes())).worksheets[0]
        assert sheet.cell(2, 4).value == "姓名"  # row 1 is the printed title
        screenshot(page, "24-exports")
        with page.expect_download() as info:
            page.get_by_test_id("report-download").click()
        assert info.value.suggested_filename.endswith(".pdf")
        assert Path(info.value.path()).read_bytes()[:5] == b"%PDF-"
    finally:
        live_app.config["LIANXIN_EXPORT_INLINE"] = saved


def test_admin_creates_reassigns_and_disables_a_liaison_and_reads_the_audit_log(
        live_server, desk, api):
    page = desk.new_page()
    staff_log_in(page, live_server, "admin")
    page.get_by_test_id("nav-users").click()
    page.get_by_test_id("users-page").wait_for()
    username = f"lx{factories.id_number()[-6:]}"
    page.get_by_test_id("new-username").fill(username)
    page.get_by_test_id("new-display_name").fill("新联络员")
    page.get_by_test_id("new-password").fill(PASSWORD)
    page.get_by_test_id("new-region").select_option(label="一号镇 一号镇甲村")
    page.get_by_test_id("create-user-submit").click()
    page.get_by_test_id("users-q").fill(username)
    page.get_by_test_id("users-q").press("Enter")
    row = page.locator(f"[data-testid=user-row][data-username={username}]")
    row.wait_for()
    row.get_by_test_id("user-village").select_option(label="一号镇 一号镇乙村")
    row.get_by_test_id("user-reassign").click()
    eventually(page, lambda: page.locator(f"[data-testid=user-row][data-username={username}]")
               .inner_text().find("一号镇乙村") >= 0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"[data-testid=user-row][data-username={username}]").get_by_test_id(
        "user-toggle").click()
    page.locator(f"[data-testid=user-row][data-username={username}] "
                 "[data-testid=user-active][data-active=false]").wait_for()
    users = api("get", f"/api/v1/users?q={username}", "admin").json["items"]
    assert users[0]["active"] is False and users[0]["region"]["name"] == "一号镇乙村"
    screenshot(page, "25-users")

    page.get_by_test_id("nav-audit").click()
    page.get_by_test_id("audit-page").wait_for()
    page.get_by_test_id("audit-username").fill("admin")
    page.get_by_test_id("audit-username").press("Enter")
    page.get_by_test_id("audit-row").first.wait_for()
    assert page.locator("[data-testid=audit-row][data-action=update]").count() >= 2
    screenshot(page, "26-audit")


def test_conflicts_resolved_per_field_and_stale_phones(live_server, live_app, desk, api, person):
    """A conflict kept for staff: the reviewer keeps the phone's value of one field."""
    county = live_app.extensions["lianxin_test_county"]
    with live_app.app_context():
        conflict = SyncConflict(
            entity="beneficiary", record_id=uuid.UUID(person["id"]),
            village_id=county.regions["V11"], client_id="phone-staff-ui", mutation_id=1,
            user_id=county.users["liaison1"], base_version=1, server_version=2,
            fields={"phone": {"mine": "13911112222", "server": person["phone"]},
                    "address": {"mine": "二组 3 号", "server": person["address"]}})
        long_ago = utcnow() - timedelta(days=5)
        db.session.add_all([conflict, SyncClient(
            id=f"phone-quiet-{uuid.uuid4().hex[:6]}", user_id=county.users["liaison2"],
            last_mutation_id=2, outbox_size=7, created_at=long_ago, last_push_at=long_ago)])
        db.session.commit()
        conflict_id = str(conflict.id)
        db.session.remove()

    page = desk.new_page()
    staff_log_in(page, live_server, "township1")
    page.get_by_test_id("nav-conflicts").click()
    card = page.locator(f"[data-testid=conflict-row][data-id='{conflict_id}']")
    card.wait_for()
    card.locator("[data-testid=conflict-field][data-field=phone] [data-testid=pick-mine]").check()
    screenshot(page, "27-conflicts")
    card.get_by_test_id("conflict-resolve").click()
    card.wait_for(state="detached")
    after = api("get", f"/api/v1/beneficiaries/{person['id']}", "township1").json
    assert after["phone"] == "13911112222" and after["address"] == person["address"]

    page.get_by_test_id("nav-devices").click()
    page.get_by_test_id("devices-page").wait_for()
    assert page.get_by_test_id("device-row").filter(has_text="liaison2").count() >= 1


def test_county_staff_assign_reply_and_close_a_migrants_feedback(live_server, desk, api, live_app):
    """The feedback a migrant sent, handled on the staff screens; the migrant's status page
    shows the reply."""
    client = live_app.test_client()
    with live_app.app_context():
        stamp = factories.public_stamp()
    sent = client.post("/api/v1/feedback/public", json={
        "category": "rights", "text": "工资被拖欠三个月，<b>请帮忙</b>。", "phone": "13900002222",
        "city": "东莞", "stamp": stamp})
    assert sent.status_code == 201, sent.json
    receipt = sent.json["receipt_number"]

    page = desk.new_page()
    staff_log_in(page, live_server, "county1")
    page.get_by_test_id("nav-feedback").click()
    page.get_by_test_id("feedback-page").wait_for()
    page.get_by_test_id("filter-q").fill(receipt)
    page.get_by_test_id("filter-q").press("Enter")
    row = page.locator("[data-testid=feedback-row]").filter(has_text=receipt)
    row.locator("[data-testid=feedback-status][data-status=received]").wait_for()
    row.get_by_test_id("feedback-open").click()
    page.get_by_test_id("feedback-detail").wait_for()
    # the migrant's text as text, never as markup
    assert page.get_by_test_id("feedback-text").inner_text() == "工资被拖欠三个月，<b>请帮忙</b>。"

    page.get_by_test_id("feedback-township").select_option(label="一号镇")
    page.get_by_test_id("feedback-assign").click()
    page.locator("[data-testid=feedback-detail][data-status=assigned]").wait_for()
    assert "一号镇" in page.get_by_test_id("feedback-assigned").inner_text()

    page.get_by_test_id("feedback-send-reply").click()  # empty: refused on the screen
    assert "请填写答复内容" in page.get_by_test_id("feedback-message").inner_text()
    page.get_by_test_id("feedback-reply-input").fill("已联系用人单位，工资本周内结清。")
    page.get_by_test_id("feedback-send-reply").click()
    page.locator("[data-testid=feedback-detail][data-status=replied]").wait_for()
    screenshot(page, "28-feedback")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("feedback-close").click()
    page.locator("[data-testid=feedback-detail][data-status=closed]").wait_for()
    page.get_by_test_id("feedback-closed").wait_for()

    status = client.get("/api/v1/feedback/public/status",
                        query_string={"receipt": receipt, "phone": "13900002222"})
    assert status.json["status"] == "closed"
    assert status.json["reply"] == "已联系用人单位，工资本周内结清。"


def test_an_officer_sees_the_notice_of_a_feedback_assigned_to_them_and_opens_it(
        live_server, desk, api, live_app):
    from server.users.models import User

    client = live_app.test_client()
    with live_app.app_context():
        stamp = factories.public_stamp()
    sent = client.post("/api/v1/feedback/public", json={
        "category": "policy", "text": "优待金什么时候发？", "phone": "13900003333",
        "stamp": stamp})
    assert sent.status_code == 201, sent.json
    with live_app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == "township1"))
        officer_id, region_id = officer.id, str(officer.region_id)
    found = api("get", f"/api/v1/feedback?q={sent.json['receipt_number']}", "county1").json["items"][0]
    assigned = api("post", f"/api/v1/feedback/{found['id']}/assign", "county1",
                   json={"region_id": region_id, "user_id": officer_id})
    assert assigned.status_code == 200, assigned.json

    page = desk.new_page()
    staff_log_in(page, live_server, "township1")
    page.locator("[data-testid=nav-notices]:not([data-unread='0'])").wait_for()
    page.get_by_test_id("nav-notices").click()
    item = page.get_by_test_id("notice").filter(has_text=sent.json["receipt_number"])
    item.get_by_test_id("unread").wait_for()
    screenshot(page, "29-staff-notices")
    item.get_by_test_id("notice-open").click()
    page.locator(f"[data-testid=feedback-detail][data-id='{found['id']}']").wait_for()
    assert page.get_by_test_id("feedback-text").inner_text() == "优待金什么时候发？"
    notices = api("get", "/api/v1/notifications", "township1").json["items"]
    assert next(n for n in notices if sent.json["receipt_number"] in n["body"])["read"] is True
