"""The PWA's budgets (issue: the liaison's offline-first PWA), measured in Debian's Chromium.

* on the wire from the running server, and on a slow link (bench/pwa_wire.py): first-load
  JavaScript + CSS (target ≤ 80 KB), the precache (≤ 120 KB), first login → ready
  offline (≤ 10 s);
* a repeat load while offline, to the visit list on screen, with the CPU
  slowed 4× (target ≤ 1 s);
* rendering the list of a village of 224 people (target ≤ 100 ms), as the app
  measures it (``data-render-ms`` on the list).
"""

import datetime as dt
import socket
import statistics
import subprocess
import threading
import time

from werkzeug.serving import make_server

from server import create_app
from server.config import PROJECT_ROOT
from server.extensions import db

from . import harness, pwa_wire

PEOPLE = 224
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "Lianxin-bench-2026"


def _village_of_224(app):
    from flask_migrate import upgrade

    from server.beneficiaries.operations import create_beneficiary
    from server.common.idnumbers import IdNumber
    from server.records.versioning import create_record
    from server.regions.models import Region
    from server.users.operations import create_user

    with app.app_context():
        upgrade(revision="heads")
        county = create_record(Region(code="510822", name="巴山县", level="county"), None)
        township = create_record(Region(code="510822101", name="青龙镇", level="township",
                                        parent_id=county.id), None)
        village = create_record(Region(code="510822101201", name="石桥村", level="village",
                                       parent_id=township.id), None)
        create_user(username="liaison1", password=PASSWORD, role="liaison", region_id=village.id)
        admin = create_user(username="admin", password=PASSWORD, role="admin", region_id=county.id)
        surnames, given = "王李张刘陈杨赵黄周吴", "建国秀英明华志强桂兰德福玉珍春生"
        for index in range(PEOPLE):
            birth = dt.date(1940 + index % 60, 1 + index % 12, 1 + index % 28)
            create_beneficiary({
                "name": surnames[index % 10] + given[index % 16] + given[(index * 7) % 16],
                "id_number": IdNumber.compose("510822", birth, index * 2 + 1).digits,
                "village_id": village.id, "category": "retired_soldier", "phone": "13800138000",
            }, admin)
        db.session.commit()
        db.session.remove()


def run(tmpdir):
    print(f"\n== PWA budgets: a village of {PEOPLE}, 360×640, Debian Chromium ==")
    sizes = subprocess.run(["node", "scripts/report-size.mjs"], cwd=PROJECT_ROOT / "pwa",
                           capture_output=True, text=True)
    print("build: " + next((line for line in sizes.stdout.splitlines() if line.startswith("First load")),
                           sizes.stderr.strip()))
    app = create_app({**harness.SECRETS, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmpdir}/pwa-bench.db",
                      "LIANXIN_TZ": "Asia/Shanghai", "LIANXIN_VISIT_DAY": 18,
                      "JWT_ACCESS_TOKEN_EXPIRES": dt.timedelta(minutes=60),
                      "JWT_REFRESH_TOKEN_EXPIRES": dt.timedelta(days=30),
                      "LIANXIN_LOCKOUT_ATTEMPTS": 5, "LIANXIN_LOCKOUT_MINUTES": 15})
    _village_of_224(app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            pwa_wire.run(browser, port, "liaison1", PASSWORD, PEOPLE)
            context = browser.new_context(viewport={"width": 360, "height": 640},
                                          is_mobile=True, has_touch=True, locale="zh-CN")
            page = context.new_page()
            page.goto(base + "/")
            page.get_by_test_id("login-username").fill("liaison1")
            page.get_by_test_id("login-password").fill(PASSWORD)
            page.get_by_test_id("login-submit").click()
            page.locator("[data-testid=person-row]").nth(PEOPLE - 1).wait_for(timeout=60000)
            page.evaluate("navigator.serviceWorker.ready")
            for _ in range(50):
                if page.evaluate("() => navigator.serviceWorker.controller !== null"):
                    break
                page.reload()
                page.wait_for_timeout(200)
            context.set_offline(True)
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            loads, renders = [], []
            for _ in range(5):
                began = time.perf_counter()
                page.reload()
                page.locator("[data-testid=person-row]").nth(PEOPLE - 1).wait_for(timeout=30000)
                loads.append(time.perf_counter() - began)
                renders.append(float(page.get_by_test_id("visit-list").get_attribute("data-render-ms")))
            browser.close()
    finally:
        server.shutdown()
    print(f"repeat load offline to the full list, CPU 4× slower: median "
          f"{statistics.median(loads):.2f} s, worst {max(loads):.2f} s (target ≤ 1 s)")
    print(f"rendering the list of {PEOPLE} people (CPU 4× slower): median "
          f"{statistics.median(renders):.0f} ms, worst {max(renders):.0f} ms (target ≤ 100 ms)")
