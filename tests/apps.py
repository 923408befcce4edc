"""The tests' apps: their configuration and the databases they commit to.

Most tests use conftest's ``app``: one committed app per backend, each test inside a
transaction that is rolled back. A test that needs real commits — a thread, another
process, a browser talking to a live server, a migration — gets a database of its own
from ``Databases`` (conftest's ``databases`` fixture):

* ``databases.committed_app(backend, name, county=…, **config)``: an app on a new
  database, migrated and holding a county (``COUNTIES``), dropped afterwards;
* ``databases.empty(backend, name)``: the URL of a new database with nothing in it.

Each county is migrated and seeded once per backend and run, into a template that no
app serves; a committed app starts from a copy of it (SQLite: the file copied;
PostgreSQL: ``CREATE DATABASE … TEMPLATE``), so a database of one's own costs a copy,
not the migrations and seven password hashes.
"""

import os
import sqlite3
import uuid
from contextlib import closing, contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from server import create_app
from server.extensions import db
from tests import factories
from tests.clock import APP_CLOCK, DEFAULT_NOW, TickingClock

BACKENDS = ("sqlite", "postgresql")


# Where the test county's printed QR codes point (printing refuses the loopback default).
PUBLIC_BASE_URL = "https://lianxin.test"


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
        "LIANXIN_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **overrides,
    }


def _postgres_admin_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return sa.make_url(url).set(drivername="postgresql+psycopg")


def throwaway_postgres(prefix, template=None):
    """A new PostgreSQL database on the ``TEST_DATABASE_URL`` server, empty or a copy
    of the database named ``template``: (url, drop). Skips the calling test when that
    variable is not set."""
    admin_url = _postgres_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def _small_county():
    """Two townships, three villages, one user per role (tests/factories.py)."""
    factories.build_county()
    db.session.commit()
    return factories.county_ids()


def _demo_county():
    """The demo county of ``flask seed-demo`` (its users by username; no region keys)."""
    from server.seed.demo import seed_county
    from server.users.models import User

    seed_county("demo")
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    return factories.CountyIds(regions={}, users=users)


# What a committed app's database holds besides the migrated schema -> its ids.
COUNTIES = {
    None: lambda: factories.CountyIds(),
    "small": _small_county,
    "demo": _demo_county,
}


class Databases:
    """Throw-away databases and committed apps for one run; ``close()`` drops the templates."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._templates = {}  # (backend, county) -> (sqlite path | database name, ids)
        self._drops = []

    @contextmanager
    def empty(self, backend, name):
        """The URL of a new database with nothing in it, dropped afterwards."""
        url, drop = self._new_database(backend, name)
        try:
            yield url
        finally:
            drop()

    @contextmanager
    def committed_app(self, backend, name, *, county="small", **config):
        """An app on a database of its own holding ``county`` (a copy of its template),
        its exports, backups and photos in a folder of its own; ``config`` overrides
        ``make_config``. Disposed of and dropped afterwards."""
        source, ids = self._template(backend, county)
        url, drop = self._new_database(backend, name, template=source)
        files = self._tmp.mktemp(f"{name}-files")
        app = create_app(make_config(url, **{
            "LIANXIN_EXPORT_DIR": str(files / "exports"),
            "LIANXIN_BACKUP_DIR": str(files / "backups"),
            "LIANXIN_PHOTO_DIR": str(files / "photos"), **config}))
        app.extensions["lianxin_test_county"] = ids
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            drop()

    def close(self):
        for drop in reversed(self._drops):
            drop()
        self._drops.clear()
        self._templates.clear()

    def _new_database(self, backend, name, template=None):
        if backend == "sqlite":
            path = self._tmp.mktemp(name) / f"{name}.db"
            if template:
                with closing(sqlite3.connect(template)) as source, \
                        closing(sqlite3.connect(path)) as copy:
                    source.backup(copy)
            return f"sqlite:///{path}", lambda: None
        return throwaway_postgres(f"lianxin_{name}", template=template)

    def _template(self, backend, county):
        key = (backend, county)
        if key not in self._templates:
            url, drop = self._new_database(backend, f"template_{county or 'empty'}")
            self._drops.append(drop)
            # stamped at DEFAULT_NOW whichever test happens to need the template first
            app = create_app(make_config(url, LIANXIN_CLOCK=TickingClock(DEFAULT_NOW)))
            with app.app_context():
                upgrade(revision="heads")
                ids = COUNTIES[county]()
                db.session.remove()
                db.engine.dispose()
            source = sa.make_url(url).database
            self._templates[key] = (source, ids)
        return self._templates[key]
