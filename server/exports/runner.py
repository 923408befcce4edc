"""The export thread. Like a request, it owns its transactions: the operations
(server/exports/operations.py) flush, this commits, in an app context of its own."""

import contextlib
import threading

from flask import current_app

from ..extensions import db
from .operations import mark_failed, run_export


def launch(job):
    """Run the job: in a thread of its own, or here and now when configured inline
    (the default when testing, where each test's data lives in one uncommitted
    transaction the thread could not see)."""
    app = current_app._get_current_object()
    inline = app.config.get("LIANXIN_EXPORT_INLINE")
    if inline if inline is not None else app.testing:
        run_export(job.id)
        return
    thread = threading.Thread(target=_run_in_thread, args=(app, job.id),
                              name=f"export-{job.id}", daemon=True)
    thread.start()


def _commit():
    db.session.commit()


def _run_in_thread(app, job_id):
    with app.app_context():
        try:
            run_export(job_id, checkpoint=_commit, rows_from=_reading_connection)
        except Exception:
            app.logger.exception("export %s failed", job_id)
            db.session.rollback()
            mark_failed(job_id)
            db.session.commit()
        finally:
            db.session.remove()


@contextlib.contextmanager
def _reading_connection():
    """A connection of its own, so committing progress never ends the streaming cursor
    (and, on SQLite, a read transaction that does not take the write lock)."""
    with db.engine.connect().execution_options(lianxin_read_only=True) as connection:
        try:
            yield connection
        finally:
            connection.rollback()
