"""The PWA on a slow link, from the running server (issue 17): what Chromium receives on
the wire, and how long a first login takes until the phone is ready offline.

* first load: the login page's JavaScript and CSS as Chromium received them
  (CDP Network.loadingFinished encodedDataLength: headers and body as sent);
  target ≤ 80 KB;
* precache: every file the service worker put in its caches once the app says it is
  ready, as the server sends it for the Accept-Encoding Chromium sent; target ≤ 120 KB;
* the encodings seen (Content-Encoding of each JavaScript/CSS answer);
* first login → ready offline through bench/throttle.py (400 ms round trip, 50 KB/s
  down, 20 KB/s up, one shared link): from the tap on 登录 until the sync bar says ready
  (data-ready=true) — or, for an app from before that, until the 已可离线使用 toast;
  target ≤ 10 s.

``run`` measures and prints; ``measure`` returns the figures, and ``tls=True`` takes the
server for an https one (nginx with its self-signed certificate, bench/shape_bench.py):
the link then carries TLS and HTTP/2 as nginx sends them.
"""

import collections
import http.client
import time

from .throttle import ThrottlingProxy

READY = """() => !!document.querySelector('[data-testid=sync-bar][data-ready=true]')
  || (document.querySelector('[data-testid=toast]')?.textContent || '').includes('已可离线使用')"""
CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith('lianxin')) continue;
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  return urls;
}"""


def _sent_size(port, path, accept_encoding, tls=False):
    """(bytes of the body as the server sends it, its Content-Encoding)."""
    if tls:
        import ssl

        connection = http.client.HTTPSConnection(  # the loopback's self-signed certificate
            "127.0.0.1", port, timeout=30, context=ssl._create_unverified_context())
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Accept-Encoding": accept_encoding})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return len(body), response.getheader("Content-Encoding") or "identity"


def run(browser, server_port, username, password, people):
    report(measure(browser, server_port, username, password), people)


def measure(browser, server_port, username, password, *, tls=False):
    """The first load, the precache and the slow-link first login of ``username``."""
    with ThrottlingProxy(server_port) as proxy:
        base = f"{'https' if tls else 'http'}://127.0.0.1:{proxy.port}"
        context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                      has_touch=True, locale="zh-CN", service_workers="allow",
                                      ignore_https_errors=tls)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        answers, sizes, accept = {}, {}, {}
        cdp.on("Network.responseReceived", lambda e: answers.__setitem__(e["requestId"], e["response"]))
        cdp.on("Network.loadingFinished",
               lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        cdp.on("Network.requestWillBeSentExtraInfo", lambda e: accept.update(
            {k.lower(): v for k, v in e.get("headers", {}).items() if k.lower() == "accept-encoding"}))
        page.goto(base + "/")
        page.get_by_test_id("login-username").wait_for()
        page.wait_for_load_state("networkidle")
        first = {"bytes": 0, "files": 0}
        encodings = collections.Counter()
        for request_id, response in answers.items():
            path = response["url"].split(base, 1)[-1]
            if path.endswith((".js", ".css")):
                first["bytes"] += sizes.get(request_id, 0)
                first["files"] += 1
                encodings[response["headers"].get("Content-Encoding")
                          or response["headers"].get("content-encoding") or "identity"] += 1
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(password)
        proxy.reset_counts()
        began = time.perf_counter()
        page.get_by_test_id("login-submit").click()
        page.wait_for_function(READY, timeout=120000, polling=100)
        ready_after = time.perf_counter() - began
        on_link = proxy.down.bytes
        listed = page.locator("[data-testid=person-row]").count()
        urls = page.evaluate(CACHED_URLS)
        context.close()
    accept_encoding = accept.get("accept-encoding", "gzip, deflate")
    precache = collections.Counter()
    total = 0
    for url in urls:
        path = url.split(str(proxy.port), 1)[-1]
        sent, encoding = _sent_size(server_port, path, accept_encoding, tls)
        total += sent
        precache[encoding] += 1
    return {"accept_encoding": accept_encoding, "first": first, "encodings": encodings,
            "precache": total, "precache_files": len(urls), "precache_encodings": precache,
            "ready_after": ready_after, "on_link": on_link, "listed": listed}


def kb(size):
    return f"{size / 1024:.1f} KB"


def slow_login(figures, people):
    """The slow-link first login, as one line's words."""
    return (f"first login → ready offline {figures['ready_after']:.1f} s (target ≤ 10 s); "
            f"{kb(figures['on_link'])} down the link meanwhile; "
            f"{figures['listed']} of {people} people listed")


def report(figures, people):
    first = figures["first"]
    print(f"Chromium's Accept-Encoding: {figures['accept_encoding']}")
    print(f"first load, JavaScript + CSS on the wire (with headers): {kb(first['bytes'])} in "
          f"{first['files']} files (target ≤ 80 KB); Content-Encoding seen: "
          + ", ".join(f"{name} ×{count}" for name, count in sorted(figures["encodings"].items())))
    print(f"precache on the wire: {kb(figures['precache'])} in {figures['precache_files']} files "
          "(target ≤ 120 KB); as sent: " + ", ".join(
              f"{name} ×{count}" for name, count in sorted(figures["precache_encodings"].items())))
    print(f"slow link (400 ms RTT, 50/20 KB/s, shared): {slow_login(figures, people)}")
