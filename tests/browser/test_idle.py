"""A staff member who walked away: after the idle limit the next click signs them out,
wipes the browser's copy and shows the login page saying why (docs/security.md)."""

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_staff import staff_log_in
from tests.clock import freeze


def test_an_idle_staff_member_is_sent_to_the_login_page(live_server, live_app, desk, monkeypatch):
    page = desk.new_page()
    staff_log_in(page, live_server, "township1")
    page.get_by_test_id("nav-dashboard").click()
    # The dashboard's own requests answered first: one still in flight when the clock
    # jumps is refused as idle, and the sign-out it starts would race the click below.
    page.get_by_test_id("dashboard-page").wait_for()
    with live_app.app_context():  # from the live server's now; it runs in this process
        clock = freeze(monkeypatch)
    clock.advance(minutes=31)
    page.get_by_test_id("nav-review").click()
    notice = page.get_by_test_id("login-idle")
    notice.wait_for(timeout=20000)
    assert notice.inner_text() == "长时间未操作，已自动退出，请重新登录。"
    assert "signed_out" not in page.url  # a reload does not repeat the notice
    assert page.evaluate("() => indexedDB.databases()") == []
    screenshot(page, "staff-idle-logout")
    # Signing in again works at once.
    page.get_by_test_id("login-username").fill("township1")
    page.get_by_test_id("login-password").fill(factories.PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("staff-nav").wait_for()
