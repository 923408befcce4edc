"""Test fixtures: the app on a throw-away database built by the real migrations.

Every test runs twice when ``TEST_DATABASE_URL`` names a PostgreSQL server: once
on SQLite and once on a fresh PostgreSQL database created for this run and
dropped after it. A small county (2 townships, 3 villages, one user per role)
is committed once per backend (``base_app``); each test then runs inside a
transaction that is rolled back, so tests never see each other's rows. A test
that needs real commits takes a committed app of its own from ``databases``
(tests/apps.py).
"""

import os
from datetime import date

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import orm

from server import create_app
from server.extensions import db
from tests import factories
from tests.apps import BACKENDS, Databases, make_config
from tests.clock import APP_CLOCK, CALENDAR, DEFAULT_NOW

CHROMIUM = os.environ.get("LIANXIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_generate_tests(metafunc):
    """A test marked ``calendar`` runs once per instant of ``tests.clock.CALENDAR``."""
    if metafunc.definition.get_closest_marker("calendar"):
        metafunc.fixturenames.append("calendar_instant")
        metafunc.parametrize("calendar_instant", list(CALENDAR.values()), ids=list(CALENDAR),
                             scope="module")


@pytest.fixture(autouse=True)
def _clock(request):
    """Every test starts at ``DEFAULT_NOW`` on the app's clock; a ``calendar`` test
    instead moves the whole process to its instant (time-machine, ticking) and the
    app follows the system clock."""
    instant = getattr(getattr(request.node, "callspec", None), "params", {}).get(
        "calendar_instant")
    if instant is None:
        APP_CLOCK.set(DEFAULT_NOW)
        yield
        return
    with time_machine.travel(instant, tick=True):
        APP_CLOCK.follow_system()
        yield
    APP_CLOCK.set(DEFAULT_NOW)


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Databases of their own and committed apps (tests/apps.py); the templates are
    dropped at the end of the run."""
    store = Databases(tmp_path_factory)
    yield store
    store.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    """The database every test that reaches one runs on: once each (PostgreSQL only
    when ``TEST_DATABASE_URL`` is set)."""
    return request.param


@pytest.fixture(scope="session")
def base_app(backend, databases):
    """One committed app per backend, its database migrated and holding the small county."""
    with databases.committed_app(backend, "base") as app:
        yield app


@pytest.fixture
def app(base_app):
    """The app, with every database change of the test rolled back afterwards, and
    the login throttle's counts (server/users/throttle.py) forgotten before it."""
    base_app.extensions["lianxin_login_throttle"].reset()
    with base_app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original_session = db.session
        # A plain SQLAlchemy Session: Flask-SQLAlchemy's own picks the engine, not
        # this connection, and would escape the rolled-back transaction.
        db.session = orm.scoped_session(
            orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        try:
            yield base_app
        finally:
            db.session.remove()
            db.session = original_session
            outer.rollback()
            connection.close()


@pytest.fixture
def rate_limits(app):
    """Switch the shared Limiter on for one test (the test config has it off).

    An app made with limits on initialises the one Limiter the whole process shares;
    the limits on the routes then apply to the test's app too, until switched off.
    """
    from server.extensions import limiter

    create_app(make_config("sqlite://", RATELIMIT_ENABLED=True))
    limiter.reset()
    try:
        yield limiter
    finally:
        limiter.enabled = False
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def county(app):
    """Ids of the test county: regions by key and users by username."""
    return app.extensions["lianxin_test_county"]


@pytest.fixture
def real_logins(base_app):
    """For tests that log in through ``base_app`` itself (real commits): the login
    sessions they open are removed afterwards, so the county's stay as they were."""
    from server.common.timeutil import utcnow
    from server.users.models import LoginSession

    with base_app.app_context():  # the app's clock, which stamps the sessions
        started = utcnow()
    base_app.extensions["lianxin_login_throttle"].reset()
    yield
    with base_app.app_context():
        db.session.execute(sa.delete(LoginSession).where(LoginSession.created_at >= started))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def user(app, county):
    """``user("liaison1")`` -> the User row."""
    from server.users.models import User

    return lambda username: db.session.get(User, county.users[username])


@pytest.fixture
def auth_headers(app, user):
    """``auth_headers("liaison1")`` -> headers with a valid bearer token for that user."""
    from server.users.operations import start_session

    def make(username="liaison1", *, refresh=False):
        access, refresh_token = start_session(user(username))
        db.session.commit()
        token = refresh_token if refresh else access
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def dummy_beneficiary(app, county, user):
    """A beneficiary in liaison1's village (V11)."""
    return factories.beneficiary(county.regions["V11"], user("admin"))


@pytest.fixture
def other_beneficiary(app, county, user):
    """A beneficiary in township 2 (V21), outside liaison1's and township1's scope."""
    return factories.beneficiary(county.regions["V21"], user("admin"), name="赵其他")


@pytest.fixture
def today():
    from server.common.timeutil import county_today

    return county_today()


@pytest.fixture
def fixed_day():
    return date(2026, 11, 18)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, shared by every browser test of the run.

    Playwright's sync API runs one event loop per thread, so the whole run
    shares one instance rather than each test starting its own.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser):
    """``new_context(app, **options)``: a browser context in the county's zone whose
    clock (Date, timers, performance) starts at ``app``'s now (its ``LIANXIN_CLOCK``)
    and runs on from there, so the page and the server agree on the day and the hour.
    Closed after the test."""
    contexts = []

    def make(app, **options):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.clock.install(time=app.config["LIANXIN_CLOCK"]())
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
