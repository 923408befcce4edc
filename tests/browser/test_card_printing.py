"""The 连心卡 printing screen in Chromium: pick a village, see what a run prints and
revokes, print, and no printing at all while the public address is the loopback default."""

from pathlib import Path

from pypdf import PdfReader

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_staff import staff_log_in


def migrant_card(api, live_app, name):
    county = live_app.extensions["lianxin_test_county"]
    values = factories.beneficiary_values(str(county.regions["V11"]), name=name,
                                          is_migrant=True, work_city="广州")
    person = api("post", "/api/v1/beneficiaries", "township1", json=values)
    assert person.status_code == 201, person.json
    card = api("post", "/api/v1/contact-cards", "township1",
               json={"beneficiary_id": person.json["id"]})
    assert card.status_code == 201, card.json
    return card.json


def open_screen(page, live_server):
    staff_log_in(page, live_server, "township1")
    page.get_by_test_id("nav-cards").click()
    page.get_by_test_id("cards-page").wait_for()
    page.get_by_test_id("filter-village").select_option(label="一号镇甲村")


def test_printing_warns_what_it_revokes_and_downloads_the_cards(live_server, live_app, desk, api):
    card = migrant_card(api, live_app, f"卡{factories.id_number()[-4:]}")
    page = desk.new_page()
    open_screen(page, live_server)
    count = page.get_by_test_id("cards-count")
    count.filter(has_text="一号镇甲村").wait_for()
    cards = int(count.inner_text().split("将打印 ")[1].split(" 张")[0])
    assert cards >= 1
    assert page.get_by_test_id("cards-address").inner_text() == "二维码指向：https://lianxin.test"
    assert page.get_by_test_id("cards-revokes").count() == 0  # none printed before
    with page.expect_download() as info:
        page.get_by_test_id("cards-print").click()
    download = info.value
    assert download.suggested_filename == "连心卡-一号镇甲村.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(Path(download.path())).pages)
    assert card["card_number"] in text
    page.get_by_test_id("cards-printed").wait_for()
    # Printed now: a second run of the village would revoke every one of its codes …
    revokes = page.get_by_test_id("cards-revokes")
    revokes.wait_for()
    assert f"其中 {cards} 张卡以前已经打印过" in revokes.inner_text()
    screenshot(page, "cards-print-desk")
    # printing again asks first, and a 取消 prints nothing
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_test_id("cards-print").click()
    assert asked and f"{cards} 张旧卡的二维码将作废" in asked[0]
    assert page.get_by_test_id("cards-printed").is_visible()  # still the first run's note
    # … and the never-printed ones alone are none.
    page.get_by_test_id("cards-only-unprinted").check()
    page.get_by_test_id("cards-count").filter(has_text="将打印 0 张").wait_for()
    assert page.get_by_test_id("cards-problem").inner_text() == "没有可打印的连心卡"
    assert page.get_by_test_id("cards-print").is_disabled()


def test_no_printing_while_the_public_address_is_the_loopback_default(live_server, live_app,
                                                                      new_context, api):
    migrant_card(api, live_app, f"卡{factories.id_number()[-4:]}")
    saved = live_app.config["LIANXIN_PUBLIC_BASE_URL"]
    live_app.config["LIANXIN_PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    try:
        phone = new_context(live_app, viewport={"width": 360, "height": 640}, is_mobile=True,
                            has_touch=True)
        page = phone.new_page()
        open_screen(page, live_server)
        problem = page.get_by_test_id("cards-problem")
        problem.wait_for()
        assert "LIANXIN_PUBLIC_BASE_URL" in problem.inner_text()
        assert "打不开" in problem.inner_text()
        assert page.get_by_test_id("cards-print").is_disabled()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        screenshot(page, "cards-print-refused-360")
    finally:
        live_app.config["LIANXIN_PUBLIC_BASE_URL"] = saved
