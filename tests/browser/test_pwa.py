"""The liaison's PWA in a real Chromium: offline and back, conflicts, returned visits."""

import struct
import zlib

import pytest

from server.common.timeutil import county_today
from tests import factories
from tests.browser.conftest import screenshot

PASSWORD = factories.PASSWORD


def png_bytes(width=64, height=48):
    """A small real PNG (a red-blue gradient), for the camera input."""
    raw = b"".join(b"\x00" + b"".join(bytes((x * 4 % 256, 40, y * 5 % 256)) for x in range(width))
                   for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def new_person(api, live_app, village="V11"):
    """A beneficiary in ``village`` (liaison1's by default), made by staff."""
    county = live_app.extensions["lianxin_test_county"]
    values = factories.beneficiary_values(str(county.regions[village]), name=f"王{factories.id_number()[-4:]}")
    response = api("post", "/api/v1/beneficiaries", "township1", json=values)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def person(api, live_app):
    """A beneficiary in liaison1's village, made by staff."""
    return new_person(api, live_app)


def wait_worker_ready(page, seconds=30):
    """Wait for the service worker to be active; bounded (``navigator.serviceWorker.ready``
    alone never settles for a worker that fails to install, and the run would hang)."""
    assert page.evaluate("""(ms) => Promise.race([navigator.serviceWorker.ready.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), ms))])""", seconds * 1000), \
        f"the service worker did not activate within {seconds} s"


def log_in(page, base, username="liaison1", password=PASSWORD):
    page.goto(base + "/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("visit-list").wait_for()
    # Wait until the service worker controls the page, so the app works offline.
    wait_worker_ready(page)
    page.reload()
    page.get_by_test_id("visit-list").wait_for()
    for _ in range(50):
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    # … and until the phone says it is ready offline: code cached and the first pull
    # stored (a test that goes offline sooner would find the person not yet there).
    page.locator("[data-testid=sync-bar][data-ready=true]").wait_for(timeout=30000)


def open_person(page, name):
    page.get_by_test_id("search").fill(name)
    page.get_by_test_id("person-row").filter(has_text=name).first.click()
    page.get_by_test_id("person-page").wait_for()


def wait_synced(page):
    page.get_by_test_id("sync-now").click()
    page.locator("[data-testid=sync-queued][data-count='0']").wait_for(timeout=20000)


def visits_of(api, person_id, username="township1"):
    body = api("get", f"/api/v1/visits?beneficiary_id={person_id}", username).json
    return body["items"]


def eventually(page, check, timeout_ms=20000):
    """Wait until ``check()`` is truthy (the phone syncs in the background)."""
    for _ in range(timeout_ms // 250):
        result = check()
        if result:
            return result
        page.wait_for_timeout(250)
    raise AssertionError("the phone did not sync in time")


def saved_visits(page, api, person_id, count=1):
    page.get_by_test_id("sync-now").click()
    return eventually(page, lambda: (v := visits_of(api, person_id)) and len(v) >= count and v)


def test_offline_visit_with_photo_syncs_exactly_once(live_server, live_app, phone, api, person):
    page = phone.new_page()
    log_in(page, live_server)
    screenshot(page, "01-visit-list")
    phone.set_offline(True)
    open_person(page, person["name"])
    screenshot(page, "02-person")
    page.get_by_test_id("record-visit").click()
    page.get_by_test_id("input-summary").fill("身体尚好，家中粮食充足。")
    page.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.get_by_test_id("photo-item").first.wait_for()
    screenshot(page, "03-visit-form")
    page.get_by_test_id("save").click()
    page.get_by_test_id("visit-row").first.wait_for()
    assert page.get_by_test_id("visit-row").first.get_attribute("data-state") == "queued"
    assert visits_of(api, person["id"]) == []

    page.reload()  # still offline: the shell comes from the service worker, data from IndexedDB
    page.get_by_test_id("sync-bar").wait_for()
    assert page.get_by_test_id("sync-queued").get_attribute("data-count") != "0"
    screenshot(page, "04-offline-reload")

    phone.set_offline(False)
    wait_synced(page)
    page.locator("[data-testid=visit-row][data-state=synced]").first.wait_for(timeout=20000)
    screenshot(page, "05-synced")
    visits = visits_of(api, person["id"])
    assert len(visits) == 1
    assert visits[0]["summary"] == "身体尚好，家中粮食充足。"
    assert visits[0]["visit_type"] == "monthly"
    with live_app.app_context():  # the phone's today (its Date) is the server's
        assert visits[0]["visited_on"] == county_today().isoformat()
    assert len(visits[0]["photo_ids"]) == 1
    photo = api("get", f"/api/v1/attachments/{visits[0]['photo_ids'][0]}", "township1")
    assert photo.status_code == 200
    assert photo.mimetype in ("image/jpeg", "image/webp")
    # syncing again sends nothing twice
    wait_synced(page)
    assert len(visits_of(api, person["id"])) == 1


def test_conflict_shows_both_values_and_keep_mine_wins(live_server, phone, api, person, live_app):
    page = phone.new_page()
    log_in(page, live_server)
    open_person(page, person["name"])
    page.get_by_test_id("record-visit").click()
    page.get_by_test_id("input-summary").fill("第一次记录")
    page.get_by_test_id("save").click()
    visit = saved_visits(page, api, person["id"])[0]
    wait_synced(page)

    phone.set_offline(True)
    page.get_by_test_id("visit-row").first.click()
    page.get_by_test_id("input-summary").fill("联络员的修改")
    page.get_by_test_id("save").click()
    changed = api("patch", f"/api/v1/visits/{visit['id']}", "township1", json={"summary": "干部的修改"})
    assert changed.status_code == 200
    phone.set_offline(False)
    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("[data-testid=visit-row][data-state=conflict]", timeout=20000)
    page.locator("[data-testid=visit-row][data-state=conflict]").first.click()
    page.get_by_test_id("conflict-page").wait_for()
    assert "联络员的修改" in page.get_by_test_id("conflict-mine").first.inner_text()
    assert "干部的修改" in page.get_by_test_id("conflict-server").first.inner_text()
    screenshot(page, "06-conflict")
    page.get_by_test_id("keep-mine").click()
    page.get_by_test_id("sync-now").click()
    eventually(page, lambda: visits_of(api, person["id"])[0]["summary"] == "联络员的修改")


def test_returned_visit_shows_the_comment_and_is_resubmitted(live_server, phone, api, person):
    page = phone.new_page()
    log_in(page, live_server)
    open_person(page, person["name"])
    page.get_by_test_id("record-visit").click()
    page.get_by_test_id("input-summary").fill("走访了")
    page.get_by_test_id("save").click()
    visit = saved_visits(page, api, person["id"])[0]
    returned = api("post", f"/api/v1/visits/{visit['id']}/review", "township1",
                   json={"decision": "return", "comment": "请写明生活情况"})
    assert returned.status_code == 200, returned.json
    wait_synced(page)
    page.get_by_test_id("review-comment").first.wait_for(timeout=20000)
    assert "请写明生活情况" in page.get_by_test_id("review-comment").first.inner_text()
    screenshot(page, "07-returned")
    page.get_by_test_id("visit-row").first.click()
    page.get_by_test_id("input-summary").fill("走访了，生活情况良好，低保已落实。")
    page.get_by_test_id("save").click()
    page.get_by_test_id("sync-now").click()
    after = eventually(page, lambda: (v := visits_of(api, person["id"])[0])["review_status"] == "pending" and v)
    assert after["summary"] == "走访了，生活情况良好，低保已落实。"


def test_logout_refuses_unsent_work_then_leaves_nothing_behind(live_server, phone, person):
    page = phone.new_page()
    log_in(page, live_server)
    token_in_storage = page.evaluate(
        "() => Object.keys(localStorage).some(k => /token|jwt/i.test(k) || /^eyJ/.test(localStorage[k]))")
    assert token_in_storage is False, "tokens must not live in localStorage"

    phone.set_offline(True)
    open_person(page, person["name"])
    page.get_by_test_id("record-visit").click()
    page.get_by_test_id("input-summary").fill("未上传的记录")
    page.get_by_test_id("save").click()
    page.get_by_test_id("nav-sync").click()
    page.get_by_test_id("logout").click()
    page.get_by_test_id("logout-message").wait_for()
    assert page.get_by_test_id("export-outbox").is_visible()  # refused: export first
    assert len(page.evaluate("() => indexedDB.databases()")) >= 1

    phone.set_offline(False)
    page.get_by_test_id("sync-now").click()
    page.locator("[data-testid=sync-queued][data-count='0']").wait_for(timeout=20000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("nav-sync").click()
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-username").wait_for(timeout=20000)
    assert page.evaluate("() => indexedDB.databases()") == []
    assert page.evaluate("() => caches.keys()") == []
    assert page.evaluate("() => Object.keys(localStorage).length") == 0


def test_a_reminder_shows_unread_opens_its_record_and_is_read_on_the_server(
        live_server, phone, api, live_app):
    from server.extensions import db
    from server.notifications.operations import notify
    from server.users.models import User

    # liaison2: no other test of this module makes them a notice (a returned visit
    # tells liaison1), so this one is their only one.
    person = new_person(api, live_app, "V12")
    with live_app.app_context():
        liaison = db.session.scalar(db.select(User).where(User.username == "liaison2"))
        notice = notify(liaison.id, "mediation_idle", "调解案件久未推进",
                        f"{person['name']}的纠纷已14天没有新进展，请跟进。", f"#/b/{person['id']}")
        notice_id = str(notice.id)
        db.session.commit()

    page = phone.new_page()
    log_in(page, live_server, "liaison2")
    page.locator("[data-testid=notices-link][data-unread='1']").wait_for(timeout=20000)
    assert "1条未读" in page.get_by_test_id("notices-link").inner_text()
    screenshot(page, "08-list-notices")
    page.get_by_test_id("notices-link").click()
    item = page.locator(f"[data-testid=notice][data-id='{notice_id}']")
    item.get_by_test_id("unread").wait_for()
    screenshot(page, "08-notices")
    item.get_by_test_id("notice-open").click()
    page.get_by_test_id("person-page").wait_for()  # the notice's record
    page.get_by_test_id("sync-now").click()
    eventually(page, lambda: next(n for n in api("get", "/api/v1/notifications", "liaison2").json["items"]
                                  if n["id"] == notice_id)["read"])
    page.goto(live_server + "/#/")
    page.locator("[data-testid=notices-link][data-unread='0']").wait_for()


def test_a_liaison_changes_their_password_on_the_phone(live_server, phone, live_app):
    from server.extensions import db
    from server.users.models import User
    from server.users.operations import hash_password

    new = "Qingshan-ridge-7731"
    client = live_app.test_client()
    page = phone.new_page()
    log_in(page, live_server)
    try:
        page.goto(live_server + "/#/sync")
        page.get_by_test_id("change-password").click()
        page.get_by_test_id("pw-current").fill("not-my-password")
        page.get_by_test_id("pw-new").fill(new)
        page.get_by_test_id("pw-again").fill(new)
        page.get_by_test_id("pw-submit").click()
        page.get_by_test_id("pw-current-error").wait_for()
        assert page.get_by_test_id("pw-current-error").inner_text() == "密码不正确"
        page.get_by_test_id("pw-current").fill(PASSWORD)
        screenshot(page, "10-password")
        page.get_by_test_id("pw-submit").click()
        page.get_by_test_id("sync-page").wait_for()
        assert client.post("/api/v1/auth/login", json={
            "username": "liaison1", "password": new}).status_code == 200
        assert client.post("/api/v1/auth/login", json={
            "username": "liaison1", "password": PASSWORD}).status_code == 401
        page.get_by_test_id("sync-now").click()  # this phone's login goes on
        page.locator("[data-testid=sync-queued][data-count='0']").wait_for(timeout=20000)
        assert page.get_by_test_id("relogin-page").count() == 0
    finally:  # the module's other tests sign in with the factories' password
        with live_app.app_context():
            liaison = db.session.scalar(db.select(User).where(User.username == "liaison1"))
            liaison.password_hash = hash_password(PASSWORD)
            db.session.commit()
