"""Real-browser fixtures: the built PWA served by a live app, driven by Debian's Chromium.

The live app has its own SQLite database (real commits, not the rolled-back
test transaction), migrated and filled with the small test county.
"""

import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server import create_app
from server.config import PROJECT_ROOT
from server.extensions import db
from tests import factories
from tests.conftest import CHROMIUM, make_config

DIST = PROJECT_ROOT / "pwa" / "dist"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    if not (DIST / "index.html").exists():
        pytest.fail("pwa/dist is missing: run `make pwa` (make test builds it first)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make browser` installs Debian's chromium")
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("live") / "live.db"
    # Chromium's Date is the machine's, so the live server keeps the machine's clock
    # too (LIANXIN_CLOCK=None): a visit the phone dates "today" is today on both.
    app = create_app(make_config(f"sqlite:///{path}", LIANXIN_PWA_DIST=str(DIST),
                                 LIANXIN_CLOCK=None))
    with app.app_context():
        upgrade(revision="heads")
        factories.build_county()
        db.session.commit()
        app.extensions["lianxin_test_county"] = factories.county_ids()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def phone(browser):
    """A fresh phone: a 360×640 touch screen with its own storage."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", service_workers="allow")
    yield context
    context.close()


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
