"""The app behind Debian's nginx with the project's own site file (deploy/nginx/lianxin.conf):
TLS and HTTP/2, the redirect to HTTPS, compression, the body limits, and an app host that
is down (the second upstream answers). No browser: curl, as a phone's HTTP stack would."""

import json
import re
import socket
import subprocess
import time

import pytest

from tests.test_deploy import nginx, site


@pytest.fixture(scope="module")
def proxy(live_server, tmp_path_factory):
    """nginx in front of the live app, with a first app host that is down."""
    directory = tmp_path_factory.mktemp("nginx")
    app_port = live_server.rsplit(":", 1)[1]
    dead = free_port()  # nothing listens there: "a host killed"
    http_port, https_port = free_port(), free_port()
    conf = site(directory, upstreams=[f"127.0.0.1:{dead}", f"127.0.0.1:{app_port}"],
                http_port=http_port, https_port=https_port)
    process = subprocess.Popen([nginx(), "-c", str(conf), "-p", str(directory), "-g",
                                "daemon off;"], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            if _curl(f"https://127.0.0.1:{https_port}/api/v1/health")[0] == "200":
                break
            time.sleep(0.1)
        else:
            pytest.fail("nginx did not answer: " + (directory / "error.log").read_text())
        yield {"https": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}"}
    finally:
        process.terminate()
        process.wait(10)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _curl(url, *args):
    """(status, http version, headers in lower case, body bytes) of one request by curl."""
    done = subprocess.run(["curl", "-sk", "--http2", "-D", "/dev/stderr", "-o", "/dev/stdout",
                           "-w", "%{stderr}\n%{http_code} %{http_version}", *args, url],
                          capture_output=True, timeout=60)
    head, _, last = done.stderr.decode("latin-1").rpartition("\n")
    status, version = (last.split() + ["", ""])[:2]
    return status, version, head.lower(), done.stdout


def test_tls_http2_and_the_redirect(proxy):
    status, version, _, _ = _curl(proxy["https"] + "/api/v1/health")
    assert (status, version) == ("200", "2")
    status, _, headers, _ = _curl(proxy["http"] + "/f/")
    assert status == "301"
    assert "location: https://" in headers


def test_compression_and_what_the_app_compressed_itself(proxy):
    _, _, headers, _ = _curl(proxy["https"] + "/api/v1/meta/choices",
                             "-H", "Accept-Encoding: gzip")
    assert "content-encoding: gzip" in headers
    # the PWA's files come brotli-compressed from the app (WhiteNoise); nginx leaves them
    _, _, _, page = _curl(proxy["https"] + "/")
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.decode()).group(1)
    _, _, asset, _ = _curl(proxy["https"] + script, "-H", "Accept-Encoding: br, gzip")
    assert "content-encoding: br" in asset
    assert "immutable" in asset


def test_body_limits_let_the_large_uploads_through_to_the_app(proxy, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (7 * 1024 * 1024))
    # an ordinary request of 7 MB stops at nginx …
    status, _, _, _ = _curl(proxy["https"] + "/api/v1/auth/login", "-X", "POST",
                         "-H", "Content-Type: application/json", "--data-binary", f"@{big}")
    assert status == "413"
    # … a roster of 7 MB reaches the app (which wants a login first)
    status, _, _, body = _curl(proxy["https"] + "/api/v1/roster/imports", "-X", "POST",
                               "-F", f"file=@{big};filename=roster.xlsx")
    assert status == "401", body[:300]
    assert json.loads(body)["code"] == "token_missing"


def test_a_host_that_is_down_is_passed_over(proxy):
    """The first app host refuses connections: every request is answered by the other."""
    answers = {_curl(proxy["https"] + "/api/v1/health")[0] for _ in range(6)}
    assert answers == {"200"}
