"""The monthly visit in few taps, the list that says what to do, and the forms' rules,
on a 360×640 phone in a real Chromium."""

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import eventually, log_in, visits_of

# Every tap (a click on the page) is counted, across hash navigations.
COUNT_TAPS = """
window.__taps = 0;
document.addEventListener('click', () => { window.__taps += 1; }, true);
"""


def taps(page):
    return page.evaluate("window.__taps")


def in_viewport(page, testid):
    box = page.get_by_test_id(testid).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 640


def make_person(api, live_app, name, **values):
    county = live_app.extensions["lianxin_test_county"]
    response = api("post", "/api/v1/beneficiaries", "township1", json=factories.beneficiary_values(
        str(county.regions["V11"]), name=name, **values))
    assert response.status_code == 201, response.json
    return response.json


def test_the_monthly_visit_takes_at_most_three_taps_with_save_on_screen(
        live_server, live_app, phone, api):
    person = make_person(api, live_app, "欧阳国强", phone="13800135678", address="七组 3 号")
    assert person["name_initials"] == "oygq"
    page = phone.new_page()
    log_in(page, live_server)
    page.add_init_script(COUNT_TAPS)
    page.reload()
    page.get_by_test_id("visit-list").wait_for()
    # found by pinyin initials, 组 and phone tail (typing, not taps)
    search = page.get_by_test_id("search")
    row = page.locator(f"[data-testid=person-row][data-id='{person['id']}']")
    row.wait_for()  # the first sync brought the person to the phone
    for query in ("oygq", "七组", "5678"):
        search.fill("qqqq")  # matches nobody: the row goes …
        row.wait_for(state="hidden")
        search.fill(query)  # … and comes back for each way of finding it
        row.wait_for(state="visible")
    screenshot(page, "taps-01-list-search")
    search.fill("")
    row.wait_for(state="visible")
    # a toast (已可离线使用 after the reload) takes a line of the top band for 3 s
    page.get_by_test_id("toast").wait_for(state="hidden", timeout=10000)
    first_row = page.get_by_test_id("person-row").first.bounding_box()
    assert first_row["y"] < 480  # was ≈620: the first person is on the first screen
    start = taps(page)

    row.get_by_test_id("quick-visit").click()  # tap 1: straight to the monthly visit
    page.get_by_test_id("visit-form").wait_for()
    summary = page.get_by_test_id("input-summary")
    eventually(page, lambda: page.evaluate(
        "document.activeElement && document.activeElement.dataset.testid") == "input-summary",
        timeout_ms=3000)
    assert page.get_by_test_id("input-visit_type").input_value() == "monthly"
    assert in_viewport(page, "save")
    page.get_by_test_id("quick-phrase").filter(has_text="身体状况良好").click()  # tap 2: 常用语
    summary.press("End")
    summary.type("，粮食充足")
    assert summary.input_value() == "身体状况良好，粮食充足"
    assert in_viewport(page, "save")  # the keyboard's typing never pushes 保存 away
    screenshot(page, "taps-02-visit-form")
    page.get_by_test_id("save").click()  # tap 3
    page.get_by_test_id("person-page").wait_for()
    assert taps(page) - start == 3  # before: 4 taps and a scroll

    page.get_by_test_id("sync-now").click()
    visits = eventually(page, lambda: visits_of(api, person["id"]))
    assert (visits[0]["visit_type"], visits[0]["summary"]) == ("monthly", "身体状况良好，粮食充足")
    page.get_by_test_id("back").click()
    page.get_by_test_id("search").fill("oygq")
    last = page.locator(f"[data-testid=person-row][data-id='{person['id']}'] [data-testid=last-visit]")
    assert last.inner_text().startswith("上次走访")
    screenshot(page, "taps-03-list-after")


def test_a_mediation_visit_needs_its_case_and_an_id_fills_in_sex_and_birth(
        live_server, live_app, phone, api):
    person = make_person(api, live_app, "调解甲")
    page = phone.new_page()
    log_in(page, live_server)
    page.goto(f"{live_server}/#/b/{person['id']}/visit/new?type=mediation")
    page.get_by_test_id("visit-form").wait_for()
    assert page.get_by_test_id("visit-case-none").is_visible()
    page.get_by_test_id("input-summary").fill("双方到场，初步达成一致")
    page.get_by_test_id("save").click()
    error = page.get_by_test_id("error-case_id")
    error.wait_for()
    assert error.inner_text() == "纠纷上门调解须选择或新建调解案件"
    screenshot(page, "taps-04-mediation-needs-case")
    assert visits_of(api, person["id"]) == []

    page.goto(f"{live_server}/#/person/new")
    page.get_by_test_id("person-form").wait_for()
    page.get_by_test_id("input-id_number").fill(factories.id_number(male=False))
    assert page.get_by_test_id("input-sex").input_value() == "female"
    assert page.get_by_test_id("input-birth_date").input_value() == "1960-05-04"
    screenshot(page, "taps-05-id-fills-sex-birth")


def test_sync_now_while_offline_says_why(live_server, phone):
    page = phone.new_page()
    log_in(page, live_server)
    page.locator("[data-testid=sync-bar][data-state=idle]").wait_for()
    phone.set_offline(True)
    page.locator("[data-testid=sync-bar][data-online=false]").wait_for()
    page.get_by_test_id("sync-now").click()
    # another toast (已可离线使用) may be showing first: wait for this one
    page.get_by_test_id("toast").filter(has_text="没有网络，有网时会自动上传").wait_for(timeout=5000)
    assert page.get_by_test_id("sync-bar").get_attribute("data-state") == "idle"  # nothing tried
    screenshot(page, "taps-06-offline-sync-now")
    phone.set_offline(False)
