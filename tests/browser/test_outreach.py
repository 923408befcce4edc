"""Issue #19 in a real Chromium at 360 px: the county publishes a policy; a liaison reads
it offline, records a visit explaining it (with a 便民服务); the public page shows it; once
withdrawn it leaves the phone, and the visit keeps the title it had."""

from server.extensions import db
from server.policies.models import Policy
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import (  # noqa: F401 (person: a fixture)
    eventually,
    log_in,
    open_person,
    person,
    visits_of,
    wait_synced,
)
from tests.browser.test_staff import staff_log_in

TITLE = "残疾军人抚恤金按月发放"
SUMMARY = "每月 10 日前发到本人社保卡，没收到请找联络员。"


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
