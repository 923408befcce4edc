"""Older eyes (issue 17, point 3): every liaison and staff screen at 360×640 at each text
size, and axe-core's accessibility rules in Chromium.

Text size is checked two ways, as a phone scales it:
- the app's own setting (标准 / 大 / 特大 = 100 / 130 / 150 %), stored on the phone and
  applied to the root font size, which every size in the CSS follows (rem/em);
- the phone's own font scaling at 200 %: Chromium's default font size raised to 32 px
  (CDP ``Page.setFontSizes``), which is what Chrome does to the root's initial font
  size for a page that opts in with ``<meta name="text-scale" content="scale">``.
At each size nothing may scroll sideways or stick out of the screen (a table may
scroll inside its own frame); text may wrap.
"""

import json
from datetime import timedelta

import pytest

from server.common.timeutil import county_today
from server.config import PROJECT_ROOT
from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import wait_worker_ready

PASSWORD = factories.PASSWORD
AXE = PROJECT_ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
TEXT_SIZE_KEY = "lianxin.text-size"  # pwa/src/text-size.js
SIZES = {"standard": 100, "large": 130, "xlarge": 150}

# What sticks out: the document wider than the screen, or any visible element whose box
# leaves the screen (outside a frame that scrolls on its own, such as a wide table).
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const inScroller = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true; return false; };
  const name = (el) => el.dataset.testid || el.id || `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.getClientRects().length || el.closest('[hidden]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'absolute' && box.width <= 1) continue;
    if ((box.right > width + 0.5 || box.left < -0.5) && !inScroller(el)) out.push(`${name(el)} ${Math.round(box.left)}–${Math.round(box.right)}`);
    else if (['hidden', 'clip'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && !el.classList.contains('visually-hidden')
             && !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)
             && style.webkitLineClamp === 'none') out.push(`${name(el)} cut ${el.scrollWidth}>${el.clientWidth}`);
    else if (style.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && !inScroller(el)
             && ![...el.children].some((child) => child.scrollWidth > child.clientWidth + 1)) out.push(`${name(el)} text sticks out ${el.scrollWidth}>${el.clientWidth}`);
  }
  return { scrollWidth: root.scrollWidth, clientWidth: width, out: out.slice(0, 8) };
}"""


def _run_axe(page):
    if not AXE.exists():
        pytest.fail("axe-core is missing: `cd pwa && npm ci` installs it (a devDependency)")
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact,
        nodes: v.nodes.map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n')[1]).slice(0, 3) }));
    }""")


def set_text_size(page, size):
    """What the app's setting does on the phone (text-size.js), without a reload."""
    page.evaluate("(size) => { document.documentElement.dataset.textSize = size; }", size)


def overflow(page):
    return page.evaluate(OVERFLOW_JS)


def fresh_view(page, hash_):
    """Open ``hash_`` and wait until the view shows a screen rendered for it."""
    if page.evaluate("(hash) => location.hash === hash || location.hash === '' && hash === '#/'", hash_):
        return
    page.evaluate("() => { const el = document.querySelector('.staff-main > *') || document.querySelector('#view > *'); if (el) el.dataset.stale = '1'; }")
    page.evaluate("(hash) => { location.hash = hash; }", hash_)
    page.wait_for_function("""() => {
      const el = document.querySelector('.staff-main > *') || document.querySelector('#view > *');
      return el && !el.dataset.stale && el.dataset.testid !== 'boot';
    }""")
    page.wait_for_timeout(50)  # a screen's second await (its lists) settles


class Findings:
    """Every screen's problems, reported together at the end of a test."""

    def __init__(self):
        self.overflow, self.axe = [], {}

    def check_sizes(self, page, screen, sizes, shots=True):
        for size in sizes:
            set_text_size(page, size)
            result = overflow(page)
            if result["scrollWidth"] > result["clientWidth"] or result["out"]:
                self.overflow.append(f"{screen} @ {SIZES[size]}%: {result}")
            if shots:
                screenshot(page, f"eyes-{screen}-{SIZES[size]}")
        set_text_size(page, "standard")

    def check_axe(self, page, screen):
        for violation in _run_axe(page):
            self.axe.setdefault(violation["id"], []).append(f"{screen}: {violation['impact']} {violation['nodes']}")

    def assert_clean(self):
        by_rule = {rule: len(where) for rule, where in self.axe.items()}
        assert not self.overflow and not self.axe, json.dumps(
            {"overflow": self.overflow, "axe_by_rule": by_rule, "axe": self.axe}, ensure_ascii=False, indent=1)


@pytest.fixture
def world(api, live_app):
    """One person of liaison1's with one record of every kind, and a migrant's feedback."""
    county = live_app.extensions["lianxin_test_county"]
    with live_app.app_context():
        today = county_today()
    values = factories.beneficiary_values(str(county.regions["V11"]), name=f"眼{factories.id_number()[-4:]}",
                                          is_migrant=True, work_city="广州",
                                          address="一组 12 号，村口往东第三户，门前有一棵很大的老槐树")
    person = api("post", "/api/v1/beneficiaries", "township1", json=values).json
    pid = person["id"]

    def made(method, path, body, username="liaison1"):
        response = api(method, path, username, json=body)
        assert response.status_code in (200, 201), (path, response.json)
        return response.json

    made("put", f"/api/v1/beneficiaries/{pid}/health-file", {"conditions": "高血压，需长期服药"})
    event = made("post", "/api/v1/health-events", {"beneficiary_id": pid, "kind": "illness",
                                                    "occurred_on": today.isoformat()})
    case = made("post", "/api/v1/mediation-cases", {"beneficiary_id": pid, "kind": "family",
                                                     "parties": "王大；王二（兄弟）"})
    session = made("post", f"/api/v1/mediation-cases/{case['id']}/sessions",
                   {"held_on": today.isoformat(), "notes": "双方同意再谈一次"})
    card = made("post", "/api/v1/contact-cards", {"beneficiary_id": pid, "employer": "广州某电子厂",
                                                   "issued_on": (today - timedelta(days=30)).isoformat()})
    log = made("post", f"/api/v1/contact-cards/{card['id']}/logs",
               {"contacted_on": today.isoformat(), "channel": "phone", "notes": "电话问候，一切都好"})
    visit = made("post", "/api/v1/visits", {"beneficiary_id": pid, "visit_type": "monthly",
                                            "visited_on": today.isoformat(), "summary": "身体尚好，家中粮食充足。"})
    client = live_app.test_client()
    with live_app.app_context():
        stamp = factories.public_stamp()
    feedback = client.post("/api/v1/feedback/public", json={
        "category": "rights", "text": "工资被拖欠三个月，请帮忙。", "phone": "13900002222",
        "city": "东莞", "stamp": stamp})
    assert feedback.status_code == 201, feedback.json
    receipt = feedback.json["receipt_number"]
    found = api("get", f"/api/v1/feedback?q={receipt}", "county1").json["items"]
    return {"person": person, "event": event, "case": case, "session": session, "card": card,
            "log": log, "visit": visit, "feedback": found[0]}


def liaison_screens(w):
    pid = w["person"]["id"]
    return {
        "list": "#/", "person": f"#/b/{pid}", "visit-new": f"#/b/{pid}/visit/new",
        "visit": f"#/visit/{w['visit']['id']}", "person-new": "#/person/new", "person-edit": f"#/b/{pid}/edit",
        "health": f"#/b/{pid}/health", "health-event-new": f"#/b/{pid}/health-event/new",
        "health-event": f"#/health-event/{w['event']['id']}", "case-new": f"#/b/{pid}/case/new",
        "case": f"#/case/{w['case']['id']}", "case-edit": f"#/case/{w['case']['id']}/edit",
        "session-new": f"#/case/{w['case']['id']}/session/new", "session": f"#/session/{w['session']['id']}",
        "card": f"#/b/{pid}/card", "log-new": f"#/card/{w['card']['id']}/log/new", "log": f"#/log/{w['log']['id']}",
        "sync": "#/sync", "notifications": "#/notifications", "password": "#/password",
    }


def staff_screens(w):
    return {
        "review": "#/review", "review-detail": f"#/review/{w['visit']['id']}", "feedback": "#/feedback",
        "feedback-detail": f"#/feedback/{w['feedback']['id']}", "notices": "#/notices",
        "dashboard": "#/dashboard", "conflicts": "#/conflicts", "devices": "#/devices",
        "exports": "#/exports", "cards": "#/cards", "staff-password": "#/password", "users": "#/users",
        "audit": "#/audit", "onboarding": "#/onboarding", "onboarding-regions": "#/onboarding/regions",
        "onboarding-roster": "#/onboarding/roster", "onboarding-liaisons": "#/onboarding/liaisons",
    }


ADMIN_ONLY = ("users", "audit", "onboarding-regions")


def sign_in(page, base, username):
    page.goto(base + "/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()


def os_font_size(page, pixels):
    """The phone's own text scaling: Chromium's default font size (16 px at 100 %)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": pixels, "fixed": round(pixels * 13 / 16)}})
    return cdp


@pytest.fixture
def phone(new_context, live_app):
    """A 360×640 phone like conftest's, that lets axe's script in past the app's CSP."""
    return new_context(live_app, viewport={"width": 360, "height": 640}, device_scale_factor=2,
                       is_mobile=True, has_touch=True, bypass_csp=True)


@pytest.fixture
def desk(new_context, live_app):
    return new_context(live_app, viewport={"width": 1280, "height": 860}, bypass_csp=True)


def test_liaison_screens_fit_every_text_size_and_pass_axe(live_server, phone, world):
    findings = Findings()
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_test_id("login-page").wait_for()
    findings.check_sizes(page, "login", SIZES)
    findings.check_axe(page, "login")
    sign_in(page, live_server, "liaison1")
    page.get_by_test_id("visit-list").wait_for()
    page.get_by_test_id("person-row").filter(has_text=world["person"]["name"]).wait_for(timeout=20000)
    for screen, hash_ in liaison_screens(world).items():
        fresh_view(page, hash_)
        findings.check_sizes(page, screen, SIZES)
        findings.check_axe(page, screen)
        set_text_size(page, "xlarge")  # and as the largest setting lays it out
        findings.check_axe(page, f"{screen}@150")
        set_text_size(page, "standard")
    # The conflict screen, for a visit the phone marks in conflict (as a push answered it).
    page.evaluate("""(id) => new Promise((done, fail) => {
      const open = indexedDB.open('lianxin');
      open.onsuccess = () => {
        const store = open.result.transaction('visits', 'readwrite').objectStore('visits');
        const get = store.get(id);
        get.onsuccess = () => {
          const row = get.result;
          row._state = 'conflict';
          row._conflict = { fields: ['summary'], mine: { summary: '联络员的修改：老人住院了，需要跟进医疗救助' },
                            server: { ...row, summary: '干部的修改' }, version: 2, base_version: 1, mutation_id: 1 };
          store.put(row).onsuccess = () => done();
        };
      };
      open.onerror = fail;
    })""", world["visit"]["id"])
    fresh_view(page, f"#/conflict/visit/{world['visit']['id']}")
    page.get_by_test_id("conflict-page").wait_for()
    findings.check_sizes(page, "conflict", SIZES)
    findings.check_axe(page, "conflict")

    # At 130 % the sync bar's first row still holds 连心, the state and 立即同步 side by side.
    fresh_view(page, "#/sync")
    set_text_size(page, "large")
    home, button = (page.get_by_test_id(t).bounding_box() for t in ("nav-list", "sync-now"))
    assert abs((home["y"] + home["height"] / 2) - (button["y"] + button["height"] / 2)) < 4, (home, button)
    assert page.evaluate("getComputedStyle(document.querySelector('.top')).position") == "sticky"
    set_text_size(page, "xlarge")  # from 150 % the band scrolls away with the page
    assert page.evaluate("getComputedStyle(document.querySelector('.top')).position") == "static"
    set_text_size(page, "standard")
    os_font_size(page, 32)  # 200 %: wrapping allowed, nothing cut, nothing sideways
    for screen, hash_ in liaison_screens(world).items():
        fresh_view(page, hash_)
        findings.check_sizes(page, f"{screen}-os200", ["standard"], shots=False)
        screenshot(page, f"eyes-{screen}-200")
    findings.assert_clean()


def test_staff_screens_fit_a_phone_at_every_text_size_and_pass_axe(live_server, phone, world):
    findings = Findings()
    page = phone.new_page()
    sign_in(page, live_server, "admin")
    page.get_by_test_id("staff-nav").wait_for()
    for screen, hash_ in staff_screens(world).items():
        fresh_view(page, hash_)
        findings.check_sizes(page, screen, SIZES, shots=screen in ("review", "review-detail", "dashboard"))
        findings.check_axe(page, screen)
    os_font_size(page, 32)  # the phone's own 200 %
    for screen, hash_ in staff_screens(world).items():
        fresh_view(page, hash_)
        findings.check_sizes(page, f"{screen}-os200", ["standard"], shots=False)
    findings.assert_clean()


def test_staff_screens_pass_axe_on_a_desk(live_server, desk, world):
    findings = Findings()
    page = desk.new_page()
    sign_in(page, live_server, "township1")
    page.get_by_test_id("staff-nav").wait_for()
    for screen, hash_ in staff_screens(world).items():
        if screen in ADMIN_ONLY:
            continue  # admin only: checked on the phone above
        fresh_view(page, hash_)
        findings.check_axe(page, screen)
    findings.assert_clean()


# A toast may not hide a control the screen showed: every control whose centre lies under
# the toast must be one that is out of sight without the toast too (scrolled under the
# sticky top band), never one the toast lies over.
COVERED_JS = """() => {
  const toast = document.querySelector('[data-testid=toast]');
  const controls = [...document.querySelectorAll('button, a[href], input:not(.visually-hidden), select, textarea, label.btn')]
    .filter((el) => el.getClientRects().length && !el.closest('[hidden]') && !el.closest('.toast'));
  const centre = (el) => { const b = el.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; };
  const shows = (el) => { const [x, y] = centre(el); const hit = document.elementFromPoint(x, y); return hit && (hit === el || el.contains(hit) || hit.contains(el)); };
  const underToast = controls.filter((el) => { const [x, y] = centre(el); return document.elementFromPoint(x, y)?.closest('.toast'); });
  // Hidden, the toast's height stays at the page's end, so the scroll position is kept.
  const spacer = document.createElement('div');
  spacer.style.height = `${toast.getBoundingClientRect().height}px`;
  document.body.append(spacer);
  toast.hidden = true;
  const covered = underToast.filter(shows).map((el) => el.dataset.testid || el.textContent.trim());
  toast.hidden = false;
  spacer.remove();
  return covered;
}"""

TOASTS_JS = """() => {
  window.__toasts = [];
  new MutationObserver(() => {
    const toast = document.querySelector('[data-testid=toast]');
    if (toast && !toast.hidden && toast.textContent) window.__toasts.push(toast.textContent);
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}"""


def test_the_text_size_setting_is_kept_on_the_phone_and_applied_before_the_first_screen(
        live_server, phone, world):
    # The size the app's first screen appeared in, recorded as it is inserted (index.html's
    # 正在打开… placeholder comes before any script and is not the app's).
    phone.add_init_script("""new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes)
        if (n.dataset?.testid && n.dataset.testid !== 'boot' && !window.__firstSize) window.__firstSize = [n.dataset.testid, document.documentElement.dataset.textSize, getComputedStyle(document.documentElement).fontSize];
    }).observe(document, { subtree: true, childList: true });""")
    page = phone.new_page()
    page.goto(live_server + "/")
    assert page.get_by_test_id("text-size-standard").is_checked()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "18px"
    page.get_by_test_id("text-size-large").check()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "23.4px"
    screenshot(page, "eyes-login-setting-130")
    page.reload()
    page.get_by_test_id("login-page").wait_for()
    assert page.evaluate("window.__firstSize")[1:] == ["large", "23.4px"]
    assert page.get_by_test_id("text-size-large").is_checked()

    sign_in(page, live_server, "liaison1")
    page.get_by_test_id("visit-list").wait_for()
    page.get_by_test_id("nav-sync").click()
    page.get_by_test_id("sync-page").wait_for()
    assert page.get_by_test_id("text-size-large").is_checked()
    page.get_by_test_id("text-size-xlarge").check()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "27px"
    page.get_by_test_id("display").scroll_into_view_if_needed()
    screenshot(page, "eyes-sync-setting-150")
    page.reload()
    page.get_by_test_id("sync-page").wait_for()
    assert page.evaluate("window.__firstSize")[1:] == ["xlarge", "27px"]
    assert page.evaluate(f"localStorage.getItem('{TEXT_SIZE_KEY}')") == "xlarge"
    result = overflow(page)
    assert result["scrollWidth"] <= result["clientWidth"] and not result["out"], result

    # A toast takes its own place under the sync bar: it covers no button of the form.
    pid = world["person"]["id"]
    page.evaluate("(hash) => { location.hash = hash; }", f"#/b/{pid}/visit/new")
    page.get_by_test_id("input-summary").fill("送去米面，老人精神不错。")
    page.get_by_test_id("save").click()
    page.get_by_test_id("toast").wait_for()
    assert page.evaluate(COVERED_JS) == []  # over the form as it is left
    page.get_by_test_id("person-page").wait_for()
    screenshot(page, "eyes-toast-150")
    assert page.evaluate(COVERED_JS) == []


def test_staff_never_get_the_liaisons_offline_toast_and_a_toast_covers_no_button(
        live_server, new_context, live_app, api, world):
    desk = new_context(live_app, viewport={"width": 1280, "height": 860}, service_workers="allow")
    desk.add_init_script(f"({TOASTS_JS})()")
    page = desk.new_page()
    sign_in(page, live_server, "township1")
    page.get_by_test_id("staff-nav").wait_for()
    wait_worker_ready(page)  # the worker installed: offline-ready would fire now
    page.wait_for_timeout(500)
    fresh_view(page, f"#/review/{world['visit']['id']}")
    page.get_by_test_id("review-approve").click()
    page.get_by_test_id("review-page").wait_for()
    page.get_by_test_id("toast").wait_for()
    assert page.evaluate(COVERED_JS) == []
    toasts = page.evaluate("window.__toasts")
    assert "已审核通过" in toasts and "已可离线使用" not in toasts, toasts
    # the staff menu's 修改密码 is dark on light, not white on #f3f3f3
    colour = page.get_by_test_id("staff-password").evaluate("(el) => getComputedStyle(el).color")
    assert colour == "rgb(17, 17, 17)"
