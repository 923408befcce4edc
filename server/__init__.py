"""连心 Lianxin: the county civil-affairs field-visit server."""

import logging

from flask import Flask, has_request_context, request
from flask.sessions import SessionInterface
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config as settings
from .common import bulk

__version__ = "0.1.0"


class _NoCookieSession(SessionInterface):
    """Lianxin keeps no cookie session (API callers carry bearer tokens; the migrants'
    form has its token in its address), so none is opened: Flask would otherwise make
    a signing serializer on every request to look for a cookie never set. A write to
    ``flask.session`` fails loudly."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        pass


def create_app(config=None):
    app = Flask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.session_interface = _NoCookieSession()
    _configure_settings(app, config)
    _configure_proxy(app)
    _configure_logging(app)
    _configure_extensions(app)
    _configure_api(app)
    _configure_web(app)
    _configure_errors(app)
    _configure_cli(app)
    _configure_scheduler(app)
    return app


def _configure_settings(app, config):
    app.config.update(settings.STATIC)
    if config is None or not config.get("TESTING"):
        app.config.update(settings.from_environment())
    if config:
        app.config.update(config)
    app.config.setdefault("LIANXIN_VERSION", __version__)


def _configure_proxy(app):
    # Behind nginx every request comes from 127.0.0.1: trusting the given number of
    # proxies' X-Forwarded-For lets per-IP rate limits and audit rows see the client.
    hops = app.config.get("LIANXIN_PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _configure_logging(app):
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic announces its plugins at INFO on every start; migrations log on their own.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _configure_extensions(app):
    from .common import crypto
    from .extensions import db, jwt, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.PROJECT_ROOT / "migrations"))
    jwt.init_app(app)
    limiter.init_app(app)
    from .users import throttle

    throttle.init_app(app)
    crypto.init_app(app)
    from . import models  # noqa: F401  (register every table)
    from .sync import entities  # noqa: F401  (register every synced entity)
    from .users import auth  # noqa: F401  (register the JWT callbacks)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # SQLite needs foreign keys switched on per connection; WAL lets readers and
    # the writer work at once; a busy timeout makes a second writer wait, not fail.
    # The driver's own transaction handling is switched off so SQLAlchemy emits
    # BEGIN itself (below): SAVEPOINTs then work, as on PostgreSQL.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
        bulk.sqlite_functions(dbapi_connection)


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    # A deferred transaction that reads and then writes fails at once ("database
    # is locked") when another writer committed in between. Writes therefore take
    # the write lock up front and wait their turn; reads stay concurrent.
    if connection.dialect.name == "sqlite":
        # A connection opened for reading only (a ledger export streaming its rows)
        # says so with the ``lianxin_read_only`` execution option.
        # A GET that must write (a pull's telemetry) asks with ``lianxin_writing``.
        options = connection.get_execution_options()
        reading = options.get("lianxin_read_only") or (
            has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
            and not options.get("lianxin_writing"))
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _configure_web(app):
    from . import web

    web.init_app(app)


def _configure_errors(app):
    # Registered after the API so they replace flask-smorest's: every error is problem+json.
    from .api import problems

    problems.init_app(app)


def _configure_api(app):
    from .api import register_api

    register_api(app)


def _configure_cli(app):
    from .cli import register_cli

    register_cli(app)


def _configure_scheduler(app):
    # Only with LIANXIN_SCHEDULER=inprocess (``make run``); production runs ``jobs run``.
    from .jobs import scheduler

    scheduler.init_app(app)
