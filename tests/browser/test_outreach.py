"""Issue #19 in a real Chromium at 360 px: the county publishes a policy; a liaison reads
it offline, records a visit explaining it (with a 便民服务); the public page shows it; once
withdrawn it leaves the phone, and the visit keeps the title it had. A villager's opinion
recorded offline is answered on the staff screen, the reply reaches the phone and is
marked 已转告; a village meeting recorded offline reaches the server."""

import pytest

from server.extensions import db
from server.policies.models import Policy
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import (
    eventually,
    log_in,
    new_person,
    open_person,
    visits_of,
    wait_synced,
)
from tests.browser.test_staff import staff_log_in

TITLE = "残疾军人抚恤金按月发放"
SUMMARY = "每月 10 日前发到本人社保卡，没收到请找联络员。"


@pytest.fixture
def person(api, live_app):
    """A beneficiary in liaison1's village, made by staff."""
    return new_person(api, live_app)


def publish_on_the_staff_screen(page, base):
    staff_log_in(page, base, "county1")
    page.get_by_test_id("nav-policies").click()
    page.get_by_test_id("policies-staff-page").wait_for()
    page.get_by_test_id("policy-new").click()
    page.get_by_test_id("policy-new-page").wait_for()
    page.get_by_test_id("policy-input-title").fill(TITLE)
    page.get_by_test_id("policy-input-category").select_option("preferential")
    page.get_by_test_id("policy-input-summary").fill(SUMMARY)
    page.get_by_test_id("policy-input-body").fill(
        "## 怎么发\n\n- 每月发到**社会保障卡**\n- 标准逐年提高\n\n<script>alert(1)</script>")
    page.get_by_test_id("policy-preview-button").click()
    page.get_by_test_id("policy-preview").locator("strong").wait_for()
    page.get_by_test_id("policy-save").click()
    page.get_by_test_id("policy-detail").wait_for()
    return page.get_by_test_id("policy-detail").get_attribute("data-id")


def test_a_policy_read_offline_explained_on_a_visit_and_withdrawn(
        live_server, live_app, phone, desk, api, person):
    staff = desk.new_page()
    policy_id = publish_on_the_staff_screen(staff, live_server)
    screenshot(staff, "outreach-01-staff-published")

    # the public library: no login, the body escaped
    staff.goto(live_server + "/f/policies/")
    staff.get_by_test_id("policy-link").filter(has_text=TITLE).click()
    assert staff.get_by_test_id("policy-summary").inner_text() == SUMMARY
    assert staff.get_by_test_id("policy-body").locator("script").count() == 0
    assert "<script>alert(1)</script>" in staff.get_by_test_id("policy-body").inner_text()

    page = phone.new_page()
    log_in(page, live_server)
    phone.set_offline(True)
    page.get_by_test_id("policies-link").click()
    page.get_by_test_id("policies-page").wait_for()
    page.get_by_test_id("policy-search").fill("cjjr")
    page.get_by_test_id("policy-row").filter(has_text=TITLE).click()
    page.get_by_test_id("policy-page").wait_for()
    assert page.get_by_test_id("policy-summary").inner_text() == SUMMARY
    assert page.get_by_test_id("policy-body").locator("script").count() == 0
    screenshot(page, "outreach-02-policy-offline")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360

    # a visit explaining it, with a 便民服务, still offline
    page.go_back()
    page.go_back()
    open_person(page, person["name"])
    page.get_by_test_id("record-visit").click()
    page.get_by_test_id("input-summary").fill("身体尚好，讲解了抚恤金政策。")
    page.get_by_test_id("policy-pick-search").fill("抚恤")
    page.get_by_test_id("policy-pick-option").filter(has_text=TITLE).click()
    page.get_by_test_id("policy-picked").filter(has_text=TITLE).wait_for()
    page.get_by_test_id("service-chip").filter(has_text="代办证件").click()
    screenshot(page, "outreach-03-visit-explains")
    page.get_by_test_id("save").click()
    page.get_by_test_id("visit-row").first.wait_for()
    assert visits_of(api, person["id"]) == []

    phone.set_offline(False)
    wait_synced(page)
    visit = eventually(page, lambda: (v := visits_of(api, person["id"])) and v[0])
    assert visit["policies_explained"] == [{"id": policy_id, "title": TITLE}]
    assert visit["services"] == ["certificate"]

    # withdrawn by the county: the phone drops it; the visit keeps what was explained
    staff.goto(live_server + f"/#/policies/{policy_id}")
    staff.get_by_test_id("policy-detail").wait_for()
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.get_by_test_id("policy-withdraw").click()
    staff.locator("[data-testid=policy-detail][data-withdrawn=true]").wait_for()
    with live_app.app_context():
        assert db.session.get(Policy, __import__("uuid").UUID(policy_id)).deleted_at is not None
    wait_synced(page)
    page.goto(live_server + "/#/policies")
    page.get_by_test_id("policies-page").wait_for()
    eventually(page, lambda: page.get_by_test_id("policy-row").count() == 0)
    assert visits_of(api, person["id"])[0]["policies_explained"][0]["title"] == TITLE
    assert staff.goto(live_server + f"/f/policies/{policy_id}").status == 404


def test_the_public_library_on_a_360_px_phone_without_javascript(live_server, api, new_context,
                                                                  live_app):
    """A migrant opens the address printed on the 连心卡: no login, no script, nothing
    scrolls sideways, the long title and body wrap."""
    api("post", "/api/v1/policies", "county1", json={
        "title": "外出务工退役军人就业创业扶持政策（含创业担保贷款贴息和技能培训补贴）",
        "category": "employment", "summary": "创业可申请贷款贴息；培训免费。",
        "body": "| 项目 | 标准 |\n|---|---|\n| 创业担保贷款 | 个人最高30万元，按规定贴息 |\n\n"
                "咨询：[12345](tel:12345) https://www.example.gov.cn/a/very/long/address/that/"
                "should/wrap/on/a/small/screen"})
    phone = new_context(live_app, viewport={"width": 360, "height": 640}, is_mobile=True,
                        java_script_enabled=False)
    page = phone.new_page()
    page.goto(live_server + "/f/policies")
    page.get_by_test_id("policy-link").first.wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("policy-link").first.click()
    page.get_by_test_id("policy-body").wait_for()
    screenshot(page, "outreach-07-public-policy-360")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_an_opinion_collected_offline_is_answered_and_relayed(
        live_server, live_app, phone, desk, api, person):
    """A villager's opinion recorded offline enters the feedback workflow as 联络员收集;
    staff reply on their screen; the reply reaches the phone, which marks it 已转告."""
    page = phone.new_page()
    log_in(page, live_server)
    phone.set_offline(True)
    open_person(page, person["name"])
    page.get_by_test_id("record-opinion").click()
    page.get_by_test_id("opinion-form").wait_for()
    page.get_by_test_id("input-category-suggestion").click()
    page.get_by_test_id("input-text").fill("村口的路灯坏了半个月，晚上出门不安全。")
    screenshot(page, "outreach-04-opinion-offline")
    page.get_by_test_id("save").click()
    # back on the person's page, which lists the opinion as waiting to be sent
    mine = page.get_by_test_id("person-opinion-row").first
    mine.wait_for()
    assert mine.get_attribute("data-state") == "queued"
    page.evaluate("() => { location.hash = '#/opinions'; }")
    row = page.locator("[data-testid=opinion-row]").filter(has_text="村口的路灯")
    row.wait_for()
    assert row.get_attribute("data-state") == "queued"

    phone.set_offline(False)
    wait_synced(page)
    items = eventually(page, lambda: (body := api("get", "/api/v1/feedback?source=liaison",
                                                  "county1").json)["items"] and body["items"])
    [feedback] = [item for item in items if item["text"].startswith("村口的路灯")]
    assert feedback["source"] == "liaison" and feedback["status"] == "received"

    staff = desk.new_page()
    staff_log_in(staff, live_server, "county1")
    staff.goto(f"{live_server}/#/feedback/{feedback['id']}")
    staff.get_by_test_id("feedback-detail").wait_for()
    assert "联络员收集" in staff.get_by_test_id("feedback-source").inner_text()
    staff.get_by_test_id("feedback-reply-input").fill("已报修，三天内修好。")
    staff.get_by_test_id("feedback-send-reply").click()
    staff.locator("[data-testid=feedback-detail][data-status=replied]").wait_for()

    wait_synced(page)
    page.evaluate("() => { location.hash = '#/sync'; }")
    page.evaluate("() => { location.hash = '#/opinions'; }")
    row.locator("[data-testid=opinion-status][data-status=replied]").wait_for(timeout=20000)
    assert "已报修，三天内修好。" in row.get_by_test_id("opinion-reply").inner_text()
    screenshot(page, "outreach-05-reply-on-the-phone")
    row.get_by_test_id("opinion-relay").click()
    row.get_by_test_id("opinion-relayed").wait_for()
    wait_synced(page)
    opinion_id = row.get_attribute("data-id")
    with live_app.app_context():
        from server.feedback.models import Opinion
        held = eventually(page, lambda: (o := db.session.get(Opinion, __import__("uuid").UUID(
            opinion_id))) and o.relayed_on and o)
        db.session.remove()
    assert held.relayed_on is not None
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_a_village_meeting_recorded_offline(live_server, live_app, phone, api, person):
    policy = api("post", "/api/v1/policies", "county1", json={
        "title": "优抚对象医疗补助", "category": "medical", "summary": "住院自付部分可申请补助。",
        "body": "材料：发票、结算单。"}).json
    page = phone.new_page()
    log_in(page, live_server)
    phone.set_offline(True)
    page.get_by_test_id("home-meetings").click()
    page.get_by_test_id("meeting-new").click()
    page.get_by_test_id("meeting-form").wait_for()
    page.get_by_test_id("input-place").fill("村委会院坝")
    page.get_by_test_id("meeting-policy-search").fill("ylbz")
    page.get_by_test_id("meeting-policy-option").filter(has_text="优抚对象医疗补助").click()
    page.get_by_test_id("attendee-search").fill(person["name"])
    page.locator(f"[data-testid=attendee-tick][data-id='{person['id']}']").check()
    page.get_by_test_id("input-headcount").fill("23")
    screenshot(page, "outreach-06-meeting-offline")
    page.get_by_test_id("save").click()
    page.get_by_test_id("meeting-row").first.wait_for()
    phone.set_offline(False)
    wait_synced(page)
    meetings = eventually(page, lambda: api("get", "/api/v1/outreach-meetings", "township1")
                          .json["items"])
    [meeting] = meetings
    assert meeting["place"] == "村委会院坝" and meeting["headcount"] == 23
    assert meeting["attendee_ids"] == [person["id"]]
    assert meeting["policies_explained"] == [{"id": policy["id"], "title": "优抚对象医疗补助"}]
