"""Debian's Chromium through the production shape's nginx (issue #20 point 2), run by
bench/shape_bench.py while its two app hosts are up:

* the slow-link first login of the field issue (#17, bench/pwa_wire.py): the same phone on
  the same 3G-like link (bench/throttle.py), once straight to one app host's gunicorn and
  once to nginx — https, HTTP/2 and nginx's compression: the bytes on the link are nginx's;
* a liaison's visit from a phone that went offline, synced through nginx after one app
  host was killed (the other answers), stored exactly once, and seen by the township's
  reviewer in the review queue — the same screens the browser tests drive (tests/browser),
  with their own helpers.
"""

import time
from datetime import UTC, datetime

import sqlalchemy as sa

from . import proxy, pwa_wire
from .pwa_bench import CHROMIUM_ARGS

PASSWORD = "Lianxin-demo-2026"  # the demo seed's (LIANXIN_DEMO_PASSWORD's default)
LIAISON, REVIEWER = "liaison1", "township1"  # the demo accounts: a village and its township


def launch(playwright, conf_dir):
    """Chromium trusting nginx's self-signed certificate (bench/proxy.py says why)."""
    return playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                      args=[*CHROMIUM_ARGS, proxy.trusted_by_chromium(conf_dir)])


def _village(url, username):
    """(how many active people the liaison's village has, one whose name is the only one of
    its kind in the county, so the reviewer's name filter finds just them)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        people = connection.scalar(sa.text(
            "SELECT count(*) FROM beneficiary b JOIN user_account u ON b.village_id = u.region_id "
            "WHERE u.username = :u AND b.status = 'active' AND b.deleted_at IS NULL"),
            {"u": username})
        person = connection.execute(sa.text(
            "SELECT b.id, b.name FROM beneficiary b JOIN user_account u ON b.village_id = u.region_id "
            "WHERE u.username = :u AND b.status = 'active' AND b.deleted_at IS NULL "
            "AND b.name IN (SELECT name FROM beneficiary GROUP BY name HAVING count(*) = 1) "
            "ORDER BY b.name LIMIT 1"), {"u": username}).one()
    engine.dispose()
    return people, person


def slow_logins(browser, url, host_port, nginx_port):
    """The slow-link first login, straight to one host and through nginx; prints both."""
    people, _ = _village(url, LIAISON)
    direct = pwa_wire.measure(browser, host_port, LIAISON, PASSWORD)
    shaped = pwa_wire.measure(browser, nginx_port, LIAISON, PASSWORD, tls=True)
    print(f"slow link (400 ms RTT, 50/20 KB/s, shared), {LIAISON}'s village of {people}:")
    print(f"  straight to one app host (HTTP/1.1, compressed by the app): "
          f"{pwa_wire.slow_login(direct, people)}")
    print(f"  through nginx (https, HTTP/2, nginx's compression): "
          f"{pwa_wire.slow_login(shaped, people)}")
    for label, figures in (("straight", direct), ("nginx", shaped)):
        print(f"  {label}: first load {pwa_wire.kb(figures['first']['bytes'])} JavaScript + CSS "
              f"in {figures['first']['files']} files (target ≤ 80 KB; "
              + ", ".join(f"{k} ×{n}" for k, n in sorted(figures["encodings"].items()))
              + f"), precache {pwa_wire.kb(figures['precache'])} in "
              f"{figures['precache_files']} files (target ≤ 120 KB)")
    return direct, shaped


def _stored(url, person, since):
    """The person's visits stored since ``since``: (id, review status) each (summaries are
    encrypted at rest, so the person and the time tell the flow's visit)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT id, review_status FROM visit WHERE beneficiary_id = :b AND created_at >= :t "
            "AND deleted_at IS NULL"), {"b": person, "t": since}).all()
    engine.dispose()
    return rows


def visit_flow(browser, base, url, kill_host):
    """A liaison records a visit offline; ``kill_host()`` takes one app host down; back
    online the phone syncs through the other; then the reviewer opens it. Prints what
    happened; returns the number of rows stored (1 when all went well)."""
    from tests.browser.test_pwa import log_in, open_person, wait_synced
    from tests.browser.test_staff import open_in_queue, staff_log_in

    _, (person, name) = _village(url, LIAISON)
    since = datetime.now(UTC)
    summary = f"经 nginx 同步的走访 {time.strftime('%H%M%S')}：身体尚好。"
    took = {}
    phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                service_workers="allow", ignore_https_errors=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN",
                               timezone_id="Asia/Shanghai", ignore_https_errors=True)
    try:
        page = phone.new_page()
        began = time.perf_counter()
        log_in(page, base, LIAISON, PASSWORD)
        took["login → ready offline"] = time.perf_counter() - began

        phone.set_offline(True)
        began = time.perf_counter()
        open_person(page, name)
        page.get_by_test_id("record-visit").click()
        page.get_by_test_id("input-summary").fill(summary)
        page.get_by_test_id("save").click()
        new = page.locator("[data-testid=visit-row][data-state=queued]").first
        new.wait_for()
        visit_id = new.get_attribute("data-id")
        row = page.locator(f"[data-testid=visit-row][data-id='{visit_id}']")
        took["visit recorded offline"] = time.perf_counter() - began
        before = len(_stored(url, person, since))

        kill_host()
        phone.set_offline(False)
        began = time.perf_counter()
        wait_synced(page)
        synced = page.locator(f"[data-testid=visit-row][data-id='{visit_id}'][data-state=synced]")
        synced.wait_for(timeout=30000)
        took["online → synced, one host down"] = time.perf_counter() - began
        once = _stored(url, person, since)
        assert once, (f"the visit did not reach the database: on the phone "
                      f"'{row.get_attribute('data-state')}', the sync bar says "
                      f"'{page.get_by_test_id('sync-message').text_content()}'")
        wait_synced(page)  # a second sync sends nothing twice
        again = _stored(url, person, since)

        reviewer = desk.new_page()
        began = time.perf_counter()
        staff_log_in(reviewer, base, REVIEWER, PASSWORD)
        open_in_queue(reviewer, name)
        mine = reviewer.locator(f"[data-testid=review-row][data-id='{once[0][0]}']")
        status = mine.get_attribute("data-status")
        mine.get_by_test_id("review-open").click()
        reviewer.get_by_test_id("review-detail").wait_for()
        seen = summary in reviewer.get_by_test_id("review-summary").inner_text()
        took["reviewer logs in → the visit open"] = time.perf_counter() - began
    finally:
        phone.close()
        desk.close()
    print(f"browser flow through nginx ({LIAISON} → {REVIEWER}), one app host killed before "
          f"the phone came back online: state on the phone offline 'queued', rows stored "
          f"before going online {before}; after the sync {len(once)}, after a second sync "
          f"{len(again)} (target 1 and 1); the reviewer "
          f"{'sees it' if seen else 'does NOT see it'} in the review queue ({status})")
    print("  " + "; ".join(f"{what} {seconds:.1f} s" for what, seconds in took.items()))
    return len(again)
