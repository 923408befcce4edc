"""A liaison signs in by the QR code of a printed slip (#18 point 3): the phone opens the
slip's address, is signed in, gets its village's people and is ready offline; the code
is gone from the address at once; the same slip on a second phone is refused with what
to do."""

import re

from tests.apps import PUBLIC_BASE_URL
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import new_person
from tests.test_cards import qr_urls

READY = "[data-testid=sync-bar][data-ready=true]"
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "service_workers": "allow"}


def printed_code(api, live_app):
    county = live_app.extensions["lianxin_test_county"]
    response = api("post", "/api/v1/enrollments/slips.pdf", "township1",
                   json={"user_ids": [county.users["liaison1"]]})
    assert response.status_code == 200, response.get_data(as_text=True)
    [url] = qr_urls(response.data)  # read from the printed page as a phone camera would
    found = re.fullmatch(rf"{re.escape(PUBLIC_BASE_URL)}/#/enroll/([A-Za-z0-9_-]+)", url)
    assert found, url
    return found.group(1)


def test_a_liaison_signs_in_by_the_slip_and_a_second_phone_is_refused(
        live_server, live_app, new_context, api):
    mine = new_person(api, live_app)  # liaison1's village
    elsewhere = new_person(api, live_app, village="V12")
    code = printed_code(api, live_app)

    page = new_context(live_app, **PHONE).new_page()
    page.goto(f"{live_server}/#/enroll/{code}")
    page.get_by_test_id("visit-list").wait_for(timeout=30000)
    assert code not in page.url
    assert page.evaluate("() => location.hash") in ("", "#/")
    page.locator(READY).wait_for(timeout=30000)  # first sync and the app's code: offline-ready
    page.get_by_test_id("search").fill(mine["name"])
    page.get_by_test_id("person-row").filter(has_text=mine["name"]).first.wait_for()
    page.get_by_test_id("search").fill(elsewhere["name"])
    assert page.get_by_test_id("person-row").filter(has_text=elsewhere["name"]).count() == 0
    page.get_by_test_id("search").fill("")
    screenshot(page, "enroll-01-signed-in-by-slip")

    # the slip photographed after use, opened on another phone
    other = new_context(live_app, **PHONE).new_page()
    other.goto(f"{live_server}/#/enroll/{code}")
    error = other.get_by_test_id("enroll-error")
    error.wait_for(timeout=20000)
    assert error.text_content() == ("这张登录单已经在另一部手机上用过，不能再用。"
                                    "请找乡镇民政办重新打印登录单。")
    assert code not in other.url
    other.get_by_test_id("login-form").wait_for()  # the password login still works
    screenshot(other, "enroll-02-second-phone-refused")

    refused = api("get", "/api/v1/audit?action=enroll_refused", "admin").json
    items = refused["items"] if isinstance(refused, dict) else refused
    assert any((item.get("changes") or {}).get("reason") == "used_elsewhere" for item in items)
