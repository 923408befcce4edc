"""Test fixtures: the app on a throw-away database built by the real migrations.

Every test runs twice when ``TEST_DATABASE_URL`` names a PostgreSQL server: once
on SQLite and once on a fresh PostgreSQL database created for this run and
dropped after it. A small county (2 townships, 3 villages, one user per role)
is committed once per backend; each test then runs inside a transaction that
is rolled back, so tests never see each other's rows.
"""

import os
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade
from sqlalchemy import orm

from server import create_app
from server.extensions import db
from tests import factories
from tests.clock import APP_CLOCK, CALENDAR, DEFAULT_NOW

BACKENDS = ["sqlite", "postgresql"]
CHROMIUM = os.environ.get("LIANXIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _postgres_admin_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    return sa.make_url(url).set(drivername="postgresql+psycopg")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "lianxin-test.db"
        yield f"sqlite:///{path}"
        return
    url, drop = throwaway_postgres("lianxin_test")
    yield url
    drop()


def throwaway_postgres(prefix):
    """A new PostgreSQL database on the ``TEST_DATABASE_URL`` server: (url, drop).
    Skips the calling test when that variable is not set."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def make_config(database_url, **overrides):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
        "LIANXIN_DATA_KEY": "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LXRlc3Q=",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "LIANXIN_TZ": "Asia/Shanghai",
        "LIANXIN_VISIT_DAY": 18,
        "LIANXIN_LOCKOUT_ATTEMPTS": 5,
        "LIANXIN_LOCKOUT_MINUTES": 15,
        "LIANXIN_DEMO_PASSWORD": "Lianxin-demo-2026",
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=15),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=30),
        "RATELIMIT_ENABLED": False,
        "LIANXIN_CLOCK": APP_CLOCK,
        **overrides,
    }


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


def demo_county_app(database_url, tmp_path_factory, name):
    """For a module that replaces ``base_app``: the demo county (``seed-demo``) on a
    database of its own on the backend of ``database_url``, ledgers exported inline.
    A generator: yields the app, then disposes of it and drops the database."""
    from sqlalchemy import select

    from server.seed.demo import seed_county
    from server.users.models import User

    if sa.make_url(database_url).get_backend_name() == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}", lambda: None
    else:
        url, drop = throwaway_postgres(f"lianxin_{name}")
    exports = tmp_path_factory.mktemp(f"{name}-exports")
    app = create_app(make_config(url, LIANXIN_EXPORT_INLINE=True, LIANXIN_EXPORT_DIR=str(exports)))
    with app.app_context():
        upgrade(revision="heads")
        seed_county("demo")
        users = dict(db.session.execute(select(User.username, User.id)).all())
        app.extensions["lianxin_test_county"] = factories.CountyIds(regions={}, users=users)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture(scope="session")
def base_app(database_url):
    """One app per backend, its database migrated and holding the small county."""
    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade(revision="heads")
        factories.build_county()
        db.session.commit()
        app.extensions["lianxin_test_county"] = factories.county_ids()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


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
