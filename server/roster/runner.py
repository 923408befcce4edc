"""The import thread. Like a request it owns its transactions: the operations flush,
this commits — every batch with the job's progress — in an app context of its own."""

import threading

from flask import current_app

from ..extensions import db
from .operations import mark_failed, run_import


def launch(job):
    """Run the job in a thread of its own, or here and now when configured inline
    (``LIANXIN_ROSTER_INLINE``; the default when testing, where each test's data lives
    in one uncommitted transaction a thread could not see)."""
    app = current_app._get_current_object()
    inline = app.config.get("LIANXIN_ROSTER_INLINE")
    if inline if inline is not None else app.testing:
        return run_import(job.id, checkpoint=db.session.flush)
    thread = threading.Thread(target=_run_in_thread, args=(app, job.id),
                              name=f"roster-{job.id}", daemon=True)
    thread.start()
    return None


def run_committing(app, job_id):
    """Run the job, committing each batch (the thread, the command line); a run that
    raises is rolled back to its last batch and the job marked failed. Returns the
    Result, or None when it failed."""
    try:
        return run_import(job_id, checkpoint=db.session.commit)
    except Exception:
        app.logger.exception("roster import %s failed", job_id)
        db.session.rollback()
        mark_failed(job_id)
        db.session.commit()
        return None


def _run_in_thread(app, job_id):
    with app.app_context():
        try:
            run_committing(app, job_id)
        finally:
            db.session.remove()
