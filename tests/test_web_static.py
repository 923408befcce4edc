"""The built PWA as the running app serves it (server/web.py, WhiteNoise): the brotli or
gzip copy the browser accepts, ``Vary``, immutable hashed assets, a fresh service worker
and page, ETags and 304s — and every other path still the app shell, /f/ and /api their own."""

import gzip
import http.client
import socket
import threading

import brotli
import pytest
from werkzeug.serving import make_server
from whitenoise.compress import Compressor

from server import create_app
from tests.apps import make_config

SCRIPT = "export const greeting = '你好';\n" * 400  # compressible, like the real chunks
SHELL = ("<!doctype html><html lang=zh-CN><meta charset=utf-8><title>连心</title>"
         '<script type=module src="/assets/index-AbC123.js"></script><div id=app></div>')


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """A small pwa/dist as `make pwa` leaves it: the files, then WhiteNoise's .br/.gz copies."""
    root = tmp_path_factory.mktemp("dist")
    (root / "assets").mkdir()
    (root / "assets" / "index-AbC123.js").write_text(SCRIPT, encoding="utf-8")
    (root / "index.html").write_text(SHELL, encoding="utf-8")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {});\n" * 50, encoding="utf-8")
    compressor = Compressor(quiet=True)
    for path in [root / "assets" / "index-AbC123.js", root / "index.html", root / "sw.js"]:
        for _ in compressor.compress(str(path)):
            pass
    assert (root / "assets" / "index-AbC123.js.br").exists()
    assert (root / "assets" / "index-AbC123.js.gz").exists()
    return root


@pytest.fixture(scope="module")
def server(dist):
    app = create_app(make_config("sqlite://", LIANXIN_PWA_DIST=str(dist)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield port
    running.shutdown()
    thread.join(timeout=10)


def get(port, path, **headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_an_asset_comes_brotli_or_gzip_as_the_browser_accepts_and_is_immutable(server):
    plain = SCRIPT.encode()
    br, br_body = get(server, "/assets/index-AbC123.js", **{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert br.status == 200
    assert br.getheader("Content-Encoding") == "br"
    assert brotli.decompress(br_body) == plain
    assert int(br.getheader("Content-Length")) == len(br_body) < len(plain) / 10
    gz, gz_body = get(server, "/assets/index-AbC123.js", **{"Accept-Encoding": "gzip, deflate"})
    assert gz.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(gz_body) == plain
    none, none_body = get(server, "/assets/index-AbC123.js", **{"Accept-Encoding": "identity"})
    assert none.getheader("Content-Encoding") is None
    assert none_body == plain
    for response in (br, gz, none):
        assert "Accept-Encoding" in response.getheader("Vary")
        assert response.getheader("Cache-Control") == "max-age=315360000, public, immutable"
        assert response.getheader("Content-Type").startswith("text/javascript")
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert response.getheader("Referrer-Policy") == "no-referrer"


def test_etag_and_last_modified_answer_304_without_a_body(server):
    first, _ = get(server, "/assets/index-AbC123.js", **{"Accept-Encoding": "br"})
    etag = first.getheader("ETag")
    assert etag and first.getheader("Last-Modified")
    again, body = get(server, "/assets/index-AbC123.js", **{"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status == 304
    assert body == b""
    since, _ = get(server, "/assets/index-AbC123.js",
                   **{"Accept-Encoding": "br", "If-Modified-Since": first.getheader("Last-Modified")})
    assert since.status == 304
    stale, body = get(server, "/assets/index-AbC123.js", **{"Accept-Encoding": "br", "If-None-Match": '"other"'})
    assert stale.status == 200 and body


def test_the_worker_and_the_page_are_fetched_fresh(server):
    worker, body = get(server, "/sw.js", **{"Accept-Encoding": "gzip"})
    assert worker.status == 200
    assert worker.getheader("Cache-Control") == "no-cache"
    assert worker.getheader("Service-Worker-Allowed") == "/"
    assert worker.getheader("Content-Encoding") == "gzip"
    assert b"addEventListener" in gzip.decompress(body)
    page, body = get(server, "/index.html", **{"Accept-Encoding": "br"})
    assert page.getheader("Cache-Control") == "no-cache"
    assert page.getheader("Content-Security-Policy").startswith("default-src 'self'")
    assert page.getheader("X-Frame-Options") == "DENY"
    assert "连心" in (brotli.decompress(body) if page.getheader("Content-Encoding") == "br" else body).decode()


@pytest.mark.parametrize("path", ["/", "/b/123", "/sync"])
def test_client_routes_still_get_the_shell(server, path):
    response, body = get(server, path)
    assert response.status == 200
    assert body.decode() == SHELL
    assert response.getheader("Cache-Control") == "no-cache"
    assert response.getheader("Content-Security-Policy").startswith("default-src 'self'")


def test_missing_files_the_api_and_the_public_form_are_not_the_shell(server):
    missing, _ = get(server, "/assets/gone-X1.js")
    assert missing.status == 404
    api, body = get(server, "/api/v1/nothing-here")
    assert api.status == 404
    assert api.getheader("Content-Type").startswith("application/problem+json")
    form, body = get(server, "/f/")
    assert body.decode() != SHELL  # the migrants' form (server/feedback/public.py), not the app
