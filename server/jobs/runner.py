"""Running job instances exactly once, and catching up on the ones missed.

A job instance is a job's name and the instant it was scheduled for. Before it
runs, a process *claims* it by inserting ``job_run(job_name, scheduled_for)`` and
committing; the unique key lets one insert win, whichever process, thread or
gunicorn worker tries, on SQLite and PostgreSQL alike. The loser skips. The
winner runs the job with ``now`` = the scheduled instant (so a catch-up run of
the 1st behaves as on the 1st), commits, and records how it went.

Two instances of the same job never run at once either (say the 1st and the 2nd,
claimed by two processes catching up): the winner of a claim also takes the job's
own lock — a PostgreSQL advisory lock, or on SQLite (one machine) a lock file
next to the database — and waits for it. A "latest" job whose later instance has
already succeeded by then skips the older one ("superseded").

A failed instance is tried again by the next tick or start-up, up to
``MAX_ATTEMPTS`` times. While a process has an instance it also *holds* it: a
PostgreSQL advisory lock of its own session, or (SQLite) a record lock on a file
next to the database, both let go by the database or the kernel the moment the
process dies. An instance left ``running`` whose hold is free has lost its process
(killed mid-job, a host that went down) and is taken over at once by the next
scheduler start or tick; where nothing can hold it (an in-memory database) it is
taken over after ``STALE_AFTER``. Both take-overs are one conditional UPDATE, so
they too happen once. Jobs are idempotent, which makes retries safe: a monthly-task
run killed half-way is completed by the next one, with no task made twice.

Catch-up: every tick of a job, and every scheduler start, runs the instances
scheduled since the job's last successful one, at most ``CATCH_UP`` back. Jobs
where only the present matters (reminders, purges, backups) run just the latest
missed instance; monthly task generation runs each one, so a month the server
slept through still gets its tasks. A job that never ran catches up only its
latest instance: a new installation does not replay a month.
"""

import fcntl
import logging
import os
import socket
import traceback
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy import text as sa_text
from sqlalchemy.exc import IntegrityError

from ..common.timeutil import county_zone, utcnow
from ..extensions import db
from .models import JobRun

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=35)
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(hours=6)
RUNNER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Job:
    name: str
    run: object  # (now: aware UTC datetime) -> dict | None, what the job did
    schedule: dict  # CronTrigger fields, in the county's time zone
    description: str
    catch_up: str = "latest"  # "latest" or "all" missed instances

    def trigger(self):
        return CronTrigger(**self.schedule, timezone=county_zone())

    def instants(self, after, until):
        """The scheduled instants in (after, until], oldest first, as UTC."""
        trigger, found = self.trigger(), []
        moment = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
        while moment is not None and moment <= until:
            found.append(moment.astimezone(UTC))
            moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
        return found

    def latest_instant(self, until):
        found = self.instants(until - CATCH_UP, until)
        return found[-1] if found else None


# --- claiming --------------------------------------------------------------------------


def claim(job_name, scheduled_for, *, runner_gone=False):
    """The JobRun of this instance if this process may run it now, else None. Commits.
    ``runner_gone``: this process holds the instance (:func:`held`), so a run of it
    still marked ``running`` has lost its process."""
    run = JobRun(job_name=job_name, scheduled_for=scheduled_for, status="running",
                 attempts=1, started_at=utcnow(), runner=RUNNER)
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        run = _take_over(job_name, scheduled_for, runner_gone)
    db.session.commit()
    return run


def _instance_keys(job_name, scheduled_for):
    """Two signed 32-bit keys naming one instance (PostgreSQL's two-key advisory locks,
    a space apart from the one-key job locks of :func:`exclusive`)."""
    def signed(number):
        return number - (1 << 32) if number >= 1 << 31 else number
    return (signed(zlib.crc32(f"lianxin-job:{job_name}".encode())),
            signed(zlib.crc32(scheduled_for.astimezone(UTC).isoformat().encode())))


@contextmanager
def held(job_name, scheduled_for, engine=None):
    """Hold one instance while this process has it; yields True when it was free, False
    when another live process holds it, None where nothing can hold it."""
    engine = engine or db.engine
    first, second = _instance_keys(job_name, scheduled_for)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            got = connection.execute(sa_text("SELECT pg_try_advisory_lock(:a, :b)"),
                                     {"a": first, "b": second}).scalar()
            try:
                yield bool(got)
            finally:
                if got:
                    connection.execute(sa_text("SELECT pg_advisory_unlock(:a, :b)"),
                                       {"a": first, "b": second})
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # POSIX record locks, one byte per instance: the kernel drops them with the process
        path = Path(f"{engine.url.database}.job-{job_name}.held")
        offset = second & 0x7FFFFFFF
        with path.open("a") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                got = True
            except OSError:
                got = False
            try:
                yield got
            finally:
                if got:
                    fcntl.lockf(handle, fcntl.LOCK_UN, 1, offset)
    else:
        yield None


def _take_over(job_name, scheduled_for, runner_gone=False):
    """Claim a failed instance (another attempt) or one whose process died."""
    now = utcnow()
    lost = JobRun.status == "running"
    if not runner_gone:
        lost = and_(lost, JobRun.started_at < now - STALE_AFTER)
    result = db.session.execute(
        update(JobRun)
        .where(
            JobRun.job_name == job_name,
            JobRun.scheduled_for == scheduled_for,
            or_(
                and_(JobRun.status == "failed", JobRun.attempts < MAX_ATTEMPTS),
                lost,
            ),
        )
        .values(status="running", attempts=JobRun.attempts + 1, started_at=now,
                finished_at=None, error=None, result=None, runner=RUNNER)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return db.session.scalar(
        select(JobRun).where(JobRun.job_name == job_name, JobRun.scheduled_for == scheduled_for)
    )


def _finish(run_id, status, *, result=None, error=None):
    db.session.execute(
        update(JobRun).where(JobRun.id == run_id)
        .values(status=status, finished_at=utcnow(), result=result, error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- running ---------------------------------------------------------------------------


@contextmanager
def exclusive(job_name):
    """Hold the job's own lock (one instance of a job at a time, across processes)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"lianxin-job:{job_name}".encode())
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa_text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(sa_text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        path = Path(f"{engine.url.database}.job-{job_name}.lock")
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes or we die
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        yield


def _superseded(job, scheduled_for):
    later = db.session.scalar(
        select(JobRun.id).where(
            JobRun.job_name == job.name, JobRun.status == "succeeded",
            JobRun.scheduled_for > scheduled_for,
        ).limit(1)
    )
    db.session.commit()
    return job.catch_up == "latest" and later is not None


def run_instance(job, scheduled_for):
    """Run one instance of ``job`` unless another process has it.

    Returns "succeeded", "failed", "superseded" or None (claimed elsewhere, or done).
    """
    scheduled_for = scheduled_for.astimezone(UTC)
    with held(job.name, scheduled_for) as free:
        if free is False:
            log.info("job %s @ %s: another process has it, skipped", job.name,
                     scheduled_for.isoformat())
            return None
        return _run_claimed(job, scheduled_for, runner_gone=bool(free))


def _run_claimed(job, scheduled_for, *, runner_gone):
    run = claim(job.name, scheduled_for, runner_gone=runner_gone)
    if run is None:
        log.info("job %s @ %s: already claimed, skipped", job.name, scheduled_for.isoformat())
        return None
    run_id = run.id
    with exclusive(job.name):
        if _superseded(job, scheduled_for):
            _finish(run_id, "succeeded", result={"superseded": True})
            return "superseded"
        try:
            result = job.run(scheduled_for)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s @ %s failed", job.name, scheduled_for.isoformat())
            _finish(run_id, "failed", error=traceback.format_exc()[-4000:])
            return "failed"
        _finish(run_id, "succeeded", result=result)
    log.info("job %s @ %s: %s", job.name, scheduled_for.isoformat(), result)
    return "succeeded"


def last_success(job_name):
    return db.session.scalar(
        select(func.max(JobRun.scheduled_for)).where(
            JobRun.job_name == job_name, JobRun.status == "succeeded"
        )
    )


def _has_history(job_name):
    return db.session.scalar(select(JobRun.id).where(JobRun.job_name == job_name).limit(1))


def due_instants(job, now):
    """The instances of ``job`` that should have run by ``now`` and may not have."""
    anchor = last_success(job.name)
    if anchor is None and not _has_history(job.name):
        latest = job.latest_instant(now)
        return [latest] if latest else []
    found = job.instants(max(anchor or now - CATCH_UP, now - CATCH_UP), now)
    return found[-1:] if job.catch_up == "latest" else found


def run_due(jobs, now=None):
    """Run every due instance of ``jobs`` (in order); returns [(name, instant, outcome)]."""
    now = (now or utcnow()).astimezone(UTC)
    outcomes = []
    for job in jobs:
        for instant in due_instants(job, now):
            outcomes.append((job.name, instant, run_instance(job, instant)))
        db.session.commit()  # end the read transaction between jobs
    return outcomes


def parse_instant(text):
    """An ISO date-time from the command line; without a zone it is county time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=county_zone())
    return moment.astimezone(UTC)
