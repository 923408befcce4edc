"""Real-browser fixtures: the built PWA served by a live app, driven by Debian's Chromium.

Each test module gets a live app of its own: a committed app (tests/apps.py) on a
fresh copy of the small test county, so a module sees only the rows its own tests
made, never another module's.
"""

import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server.config import PROJECT_ROOT
from tests import factories
from tests.clock import DEFAULT_NOW, TickingClock
from tests.conftest import CHROMIUM

DIST = PROJECT_ROOT / "pwa" / "dist"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def live_app(request, backend, databases):
    if not (DIST / "index.html").exists():
        pytest.fail("pwa/dist is missing: run `make pwa` (make test builds it first)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make browser` installs Debian's chromium")
    name = "live_" + request.module.__name__.rsplit(".", 1)[-1]
    # A clock of the module's own, ticking from DEFAULT_NOW; the browsers start from its
    # now (new_context), so a visit the phone dates "today" is today on both sides.
    with databases.committed_app(backend, name, LIANXIN_PWA_DIST=str(DIST),
                                 LIANXIN_CLOCK=TickingClock(DEFAULT_NOW)) as app:
        yield app


@pytest.fixture(scope="module")
def live_server(live_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def phone(new_context, live_app):
    """A fresh phone: a 360×640 touch screen with its own storage, on the live app's time."""
    return new_context(live_app, viewport={"width": 360, "height": 640}, device_scale_factor=2,
                       is_mobile=True, has_touch=True, service_workers="allow")


@pytest.fixture
def desk(new_context, live_app):
    """A desktop browser of its own (its own storage), as at the township office."""
    return new_context(live_app, viewport={"width": 1280, "height": 860}, accept_downloads=True)


@pytest.fixture
def api(live_app):
    """Calls the live app's API directly, as staff or as a liaison (no browser)."""
    client = live_app.test_client()

    def call(method, path, username, **kwargs):
        login = client.post("/api/v1/auth/login",
                            json={"username": username, "password": factories.PASSWORD})
        headers = {"Authorization": f"Bearer {login.json['access_token']}"}
        return getattr(client, method)(path, headers=headers, **kwargs)

    return call


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
