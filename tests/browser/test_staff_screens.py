"""Staff screens of issue #17 in a real Chromium, at a desk (1280 wide) and on a
360-px phone: the user-creation form, the dashboard and audit log (连心卡 printing:
test_card_printing.py)."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_staff import staff_log_in


@pytest.fixture
def narrow(new_context, live_app):
    """A staff member on a 360-px phone."""
    return new_context(live_app, viewport={"width": 360, "height": 640}, device_scale_factor=2,
                       is_mobile=True, has_touch=True, accept_downloads=True)


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def migrant_cards(api, live_app, count, village="V11", who="township1"):
    county = live_app.extensions["lianxin_test_county"]
    made = []
    for _ in range(count):
        values = factories.beneficiary_values(str(county.regions[village]), is_migrant=True,
                                              work_city="广州",
                                              name=f"卡{factories.id_number()[-4:]}")
        person = api("post", "/api/v1/beneficiaries", who, json=values)
        assert person.status_code == 201, person.json
        card = api("post", "/api/v1/contact-cards", who,
                   json={"beneficiary_id": person.json["id"]})
        assert card.status_code == 201, card.json
        made.append(card.json)
    return made


@pytest.mark.parametrize("width", [1280, 360])
def test_the_user_form_marks_every_field_and_creates_any_role(live_server, new_context, live_app,
                                                              api, width):
    context = new_context(live_app, viewport={"width": width, "height": 860 if width > 400 else 640})
    page = context.new_page()
    staff_log_in(page, live_server, "admin")
    page.get_by_test_id("nav-users").click()
    page.get_by_test_id("users-page").wait_for()
    page.get_by_test_id("create-user-submit").click()  # nothing typed: every field at once
    for name in ("username", "display_name", "password"):
        assert page.get_by_test_id(f"new-{name}").get_attribute("aria-invalid") == "true"
        assert page.get_by_test_id(f"new-{name}-error").inner_text() == "请填写此项"
    # the server's problems, all at once: a taken name, a weak password, a wrong region
    page.get_by_test_id("new-username").fill("liaison1")
    page.get_by_test_id("new-display_name").fill("新干部")
    page.get_by_test_id("new-password").fill("abcdefgh")
    page.get_by_test_id("create-user-submit").click()
    page.locator("[data-testid=new-username-error]", has_text="用户名已存在").wait_for()
    assert "至少三类" in page.get_by_test_id("new-password-error").inner_text()
    assert page.get_by_test_id("new-display_name").get_attribute("aria-invalid") is None
    assert no_sideways_scroll(page)
    page.get_by_test_id("new-user-errors").scroll_into_view_if_needed()
    screenshot(page, f"43-user-form-errors-{width}")
    # a township officer: the picker offers townships
    page.get_by_test_id("new-role").select_option("township_officer")
    options = page.get_by_test_id("new-region").locator("option").all_inner_texts()
    assert options == ["一号镇", "二号镇"]
    username = f"to{factories.id_number()[-6:]}"
    page.get_by_test_id("new-username").fill(username)
    page.get_by_test_id("new-password").fill(factories.PASSWORD)
    page.get_by_test_id("new-region").select_option(label="二号镇")
    page.get_by_test_id("create-user-submit").click()
    made = None
    for _ in range(50):
        items = api("get", f"/api/v1/users?q={username}", "admin").json["items"]
        if items:
            made = items[0]
            break
        page.wait_for_timeout(100)
    assert made["role"] == "township_officer" and made["region"]["name"] == "二号镇"


def test_the_audit_log_reads_in_chinese_and_filters_print_card(live_server, live_app, desk,
                                                              api):
    [card] = migrant_cards(api, live_app, 1, village="V21", who="admin")
    printed = api("post", f"/api/v1/contact-cards/print.pdf?card_id={card['id']}", "admin")
    assert printed.status_code == 200
    page = desk.new_page()
    staff_log_in(page, live_server, "admin")
    page.goto(live_server + "/#/audit")
    page.get_by_test_id("audit-page").wait_for()
    page.get_by_test_id("audit-action").select_option(label="打印连心卡")
    row = page.locator("[data-testid=audit-row][data-action=print_card]").first
    row.wait_for()
    text = row.inner_text()
    assert "打印连心卡" in text and "连心卡" in text and card["card_number"] in text
    assert "token_hash" not in text and card["id"] not in text and "二维码" in text
    screenshot(page, "44-audit-1280")


def test_a_township_dashboard_is_named_after_the_township_and_exports_the_not_visited(
        live_server, live_app, desk, api):
    live_app.config["LIANXIN_EXPORT_INLINE"] = True
    county = live_app.extensions["lianxin_test_county"]
    name = f"未{factories.id_number()[-4:]}"
    made = api("post", "/api/v1/beneficiaries", "township1",
               json=factories.beneficiary_values(str(county.regions["V11"]), name=name))
    assert made.status_code == 201, made.json
    page = desk.new_page()
    staff_log_in(page, live_server, "township1")
    page.get_by_test_id("nav-dashboard").click()
    page.get_by_test_id("dashboard-page").wait_for()
    assert page.get_by_test_id("dash-top").inner_text() == "一号镇"
    assert "全县" not in page.get_by_test_id("dash-crumbs").inner_text()
    bars = page.get_by_test_id("case-chart-bar").evaluate_all(
        "bars => bars.map(b => b.dataset.label)")
    assert bars == ["7天内", "8–30天", "31–90天", "90天以上"]
    body = api("get", "/api/v1/dashboard", "township1").json
    rate = page.get_by_test_id("dash-rate")
    # red only where a monthly visit is overdue after the visit day
    late = body["visit_day_passed"] and body["totals"]["overdue_monthly"] > 0
    assert ("bad" in rate.get_attribute("class")) is (late and body["totals"]["rate"] < 0.8)
    if not body["visit_day_passed"]:
        page.get_by_test_id("dash-before-visit-day").wait_for()
    screenshot(page, "45-dashboard-township-1280")
    page.get_by_test_id("dash-row").filter(has_text="一号镇").get_by_test_id("dash-drill").click()
    page.locator("[data-testid=dashboard-page][data-level=township]").wait_for()
    page.get_by_test_id("dash-row").filter(has_text="一号镇甲村").get_by_test_id("dash-drill").click()
    page.locator("[data-testid=dashboard-page][data-level=village]").wait_for()
    row = page.get_by_test_id("not-visited-row").filter(has_text=name)
    cells = row.locator("td").all_inner_texts()
    assert cells[-2] in ("待走访", "已逾期") and cells[-1].isdigit()
    screenshot(page, "46-not-visited-1280")
    page.get_by_test_id("not-visited-export").click()
    page.get_by_test_id("exports-page").wait_for()
    assert page.get_by_test_id("export-kind").input_value() == "not_visited"
    page.get_by_test_id("export-start").click()
    page.locator("[data-testid=export-job][data-status=done]").wait_for(timeout=30000)
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    assert info.value.suggested_filename.startswith("未访人员名单")
    sheet = load_workbook(BytesIO(Path(info.value.path()).read_bytes())).worksheets[0]
    assert name in [row[3] for row in sheet.iter_rows(min_row=3, values_only=True)]
