"""Ready means ready (issue 17): the phone says it can work offline only once the app's
code and the first sync are on it, and says how far the download is until then; a
screen whose code is missing offline says so with 重试; an offline reload before the
download is complete opens the app's own page."""

from tests.browser.conftest import screenshot
from tests.browser.test_pwa import PASSWORD, log_in, new_person, open_person, saved_visits

# Every state of the sync bar, as the liaison saw it (data-ready and the words).
RECORD_BAR = """
window.__bar = [];
new MutationObserver(() => {
  const bar = document.querySelector('[data-testid=sync-bar]');
  if (!bar) return;
  const seen = { ready: bar.dataset.ready, text: bar.textContent };
  const last = window.__bar[window.__bar.length - 1];
  if (!last || last.ready !== seen.ready || last.text !== seen.text) window.__bar.push(seen);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""
READY = "[data-testid=sync-bar][data-ready=true]"
DROP_CHUNK = """async (name) => {
  const cache = await caches.open('lianxin-code-v1');
  const gone = (await cache.keys()).filter((request) => request.url.includes(`/assets/${name}-`));
  for (const request of gone) await cache.delete(request);
  return gone.length;
}"""


def drop_chunk(phone, page, name):
    """As if the download had not got to the chunk of ``name``: gone from the worker's
    cache and from the browser's HTTP cache."""
    assert page.evaluate(DROP_CHUNK, name) == 1
    phone.new_cdp_session(page).send("Network.clearBrowserCache")


def test_offline_the_moment_ready_shows_a_visit_is_recorded(live_server, live_app, phone, api):
    person = new_person(api, live_app)
    page = phone.new_page()
    page.add_init_script(RECORD_BAR)
    page.goto(live_server + "/")
    page.get_by_test_id("login-username").wait_for()
    # the phone holds nothing of the app's until someone starts typing; then the download
    # begins while the liaison types
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0
    page.get_by_test_id("login-username").fill("liaison1")
    for _ in range(50):
        if page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 1:
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("typing at the login page did not install the service worker")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.locator(READY).wait_for(timeout=30000)
    phone.set_offline(True)  # the very moment the bar says ready
    screenshot(page, "ready-01-ready")
    states = page.evaluate("window.__bar")
    before = [state for state in states if state["ready"] != "true"]
    assert before, states  # it was not ready at first …
    assert any("正在准备离线使用" in state["text"] for state in before), before  # … and said so
    for state in before:  # … and never claimed to be synced meanwhile
        assert "全部已上传" not in state["text"] and "上次同步" not in state["text"], state
    assert "已可离线使用" in page.get_by_test_id("toast").text_content()

    open_person(page, person["name"])
    page.get_by_test_id("record-visit").click()
    page.get_by_test_id("input-summary").fill("刚准备好就断网，照样记录。")
    page.get_by_test_id("save").click()
    page.get_by_test_id("visit-row").first.wait_for()
    assert page.get_by_test_id("visit-row").first.get_attribute("data-state") == "queued"
    screenshot(page, "ready-02-offline-visit")

    phone.set_offline(False)
    visits = saved_visits(page, api, person["id"])
    assert [visit["summary"] for visit in visits] == ["刚准备好就断网，照样记录。"]


def test_a_screen_whose_code_is_missing_offline_says_so_and_retries(live_server, live_app, phone, api):
    person = new_person(api, live_app)
    page = phone.new_page()
    log_in(page, live_server)
    page.locator(READY).wait_for(timeout=30000)
    drop_chunk(phone, page, "beneficiary")
    phone.set_offline(True)
    page.get_by_test_id("search").fill(person["name"])
    page.get_by_test_id("person-row").filter(has_text=person["name"]).first.click()
    message = page.get_by_test_id("screen-unavailable")
    message.wait_for()
    assert "还没有下载到手机上" in message.text_content()
    assert not page.get_by_test_id("visit-list").is_visible()  # never a dead tap on the list
    # the bar, too, no longer says ready: the phone lacks a file
    page.locator("[data-testid=sync-bar][data-ready=false][data-readiness=code]").wait_for()
    assert "全部已上传" not in page.get_by_test_id("sync-bar").text_content()
    retry = page.get_by_test_id("screen-retry")
    assert retry.text_content() == "重试"
    screenshot(page, "ready-03-screen-unavailable")

    retry.click()  # still offline: the app's own page again, the same words
    page.get_by_test_id("screen-unavailable").wait_for()
    phone.set_offline(False)
    page.get_by_test_id("screen-retry").click()
    page.get_by_test_id("person-page").wait_for()
    page.locator(READY).wait_for(timeout=30000)  # and the missing file is downloaded again


def test_an_offline_reload_before_the_download_is_complete_opens_the_app(live_server, live_app, phone, api):
    page = phone.new_page()
    log_in(page, live_server)
    page.locator(READY).wait_for(timeout=30000)
    drop_chunk(phone, page, "visit-form")
    phone.set_offline(True)
    page.reload()
    page.get_by_test_id("visit-list").wait_for()  # the app's page, not the browser's error
    bar = page.get_by_test_id("sync-bar")
    page.locator("[data-testid=sync-bar][data-ready=false][data-readiness=code]").wait_for()
    assert "还不能离线使用" in bar.text_content() and "连上网后会接着下载" in bar.text_content()
    screenshot(page, "ready-04-offline-reload-not-ready")
    phone.set_offline(False)  # back online: the download goes on by itself
    page.locator(READY).wait_for(timeout=30000)
    assert "全部已上传" in bar.text_content()
