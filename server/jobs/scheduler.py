"""APScheduler wiring: ``jobs run`` (production) and the in-process scheduler (``make run``).

Every cron tick of a job calls :func:`runner.run_due` for that job, which runs
the instances due by now (normally the one just fired; after downtime, the
missed ones). Start-up does the same for every job first. Jobs run one at a time
per process (a single worker thread); across processes the ``job_run`` lock
decides, so starting two schedulers, or one per gunicorn worker, is harmless.

The in-process scheduler starts only when ``LIANXIN_SCHEDULER=inprocess``, never
under ``TESTING``, and under the ``flask`` command only for ``flask run`` (not for
``db upgrade``, ``seed-demo`` or ``jobs run`` itself).
"""

import atexit
import logging
import signal
import sys

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ..common.timeutil import county_zone
from ..extensions import db
from . import runner
from .definitions import JOBS

log = logging.getLogger(__name__)
CATCH_UP_ID = "catch_up"


def _run_due(app, names=None):
    with app.app_context():
        try:
            jobs = [JOBS[name] for name in names] if names else list(JOBS.values())
            runner.run_due(jobs)
        except Exception:  # a broken database must not stop the scheduler thread
            log.exception("scheduled run of %s failed", names or "all jobs")
        finally:
            db.session.remove()


def build_scheduler(app, *, blocking):
    # APScheduler announces every add and run at INFO; job_run and our log say what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with app.app_context():
        zone = county_zone()
        triggers = {name: job.trigger() for name, job in JOBS.items()}
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(
        timezone=zone,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        # a late or doubled firing runs once; run_due finds what is due anyway
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for name, trigger in triggers.items():
        scheduler.add_job(_run_due, trigger, args=[app, [name]], id=name, name=name)
    return scheduler


def run_blocking(app):
    """``flask --app server jobs run``: catch up, then run on schedule until stopped."""
    scheduler = build_scheduler(app, blocking=True)
    # SIGTERM (systemd, docker stop) stops like Ctrl-C: the running job may finish first.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    log.info("scheduler %s: catching up", runner.RUNNER)
    _run_due(app)
    log.info("scheduler %s: running %d jobs", runner.RUNNER, len(JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler %s: stopping", runner.RUNNER)
        if scheduler.running:
            scheduler.shutdown(wait=True)


def _flask_command_allows():
    """Under the ``flask`` command, only ``flask run`` serves requests."""
    context = click.get_current_context(silent=True)
    if context is None:
        return True  # gunicorn, or the app made by hand
    from flask.cli import run_command

    return context.command is run_command


def init_app(app):
    """Start the in-process scheduler when the configuration asks for it."""
    if app.config.get("LIANXIN_SCHEDULER") != "inprocess" or app.testing:
        return None
    if not _flask_command_allows():
        return None
    scheduler = build_scheduler(app, blocking=False)
    scheduler.add_job(_run_due, args=[app], id=CATCH_UP_ID, name=CATCH_UP_ID)  # at once
    scheduler.start()
    atexit.register(lambda: scheduler.shutdown(wait=False))
    app.extensions["lianxin_scheduler"] = scheduler
    log.info("in-process scheduler started (%d jobs)", len(JOBS))
    return scheduler
