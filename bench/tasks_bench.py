"""The month's visit tasks for the whole county: the 1st's `monthly_tasks` job.

A county-scale demo database (528 villages, 118,000 people) is seeded, then the job
runs for the 1st of the next month through the CLI operators use
(`flask jobs run-once monthly_tasks --at …`), in a process of its own: one task per
active person, each with its change-log row and audit row, written through the
bulk path every other batch of new records takes (server/records/versioning.py
create_records). Target: ≤ 10 s (2.8 ms a task one at a time was 5–6 minutes).
"""

import resource
import time
from datetime import date

import sqlalchemy as sa

from . import harness

TARGET_SECONDS = 10


def _next_first(today=None):
    today = today or date.today()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _count(url, period):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tasks = connection.scalar(sa.text(
            "SELECT count(*) FROM visit_task WHERE kind = 'monthly' AND period = :p"), {"p": period})
        changes = connection.scalar(sa.text(
            "SELECT count(*) FROM sync_change WHERE entity = 'visit_task'"))
    engine.dispose()
    return tasks, changes


def run(tmpdir, kind="postgresql"):
    print(f"\n== the month's visit tasks for the county ({kind}) ==")
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        began = time.perf_counter()
        harness.flask(["seed-demo", "--scale", "county"], url)
        print(harness.seed_figure(time.perf_counter() - began))
        first = _next_first()
        period = f"{first:%Y-%m}"
        before, changes_before = _count(url, period)
        began = time.perf_counter()
        result = harness.flask(["jobs", "run-once", "monthly_tasks", "--at", f"{first}T00:05"], url)
        seconds = time.perf_counter() - began
        after, changes_after = _count(url, period)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(result.stdout.strip())
        print(f"monthly tasks for {period}: {after - before:,} made in {seconds:.1f} s "
              f"({seconds / max(after - before, 1) * 1000:.2f} ms each, the CLI's start included; "
              f"target ≤ {TARGET_SECONDS} s); {changes_after - changes_before:,} change-log rows; "
              f"peak memory of a child process {peak:.0f} MB")
