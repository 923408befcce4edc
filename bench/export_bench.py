"""Ledger export on the county scale (issue 5: staff review, oversight, ledgers).

Workload: the county seed on PostgreSQL (528 villages, 118,000 people; it holds the
current and the previous month's visits), topped up so the previous month holds at
least 118,000 visits — one visit day of the whole county. gunicorn with 4 workers;
county1 asks for that month's visits ledger (POST /api/v1/exports), the background
job streams the rows into the workbook (XlsxWriter, constant_memory) while the client
polls its progress, then downloads the file. Prints rows, seconds and rows/s (target
≤ 15 s, issue 20), the file's size, and for context the county-level dashboard and the monthly report PDF of the same month.
"""

import datetime as dt
import json
import time
from io import BytesIO

import sqlalchemy as sa

from . import harness

TARGET_ROWS = 118_000
TARGET_SECONDS = 15  # issue 20, point 4 (was 60)
COLUMNS = (
    "version, created_at, updated_at, deleted_at, field_versions, beneficiary_id, village_id, "
    "liaison_id, visit_type, visited_on, summary, needs, actions, follow_up_due, details, "
    "case_id, photo_ids, location, review_status, review_comment, reviewed_by_id, reviewed_at"
)

# the same columns, with the copies' visit type
SICK_COPY = COLUMNS.replace("visit_type", "'sick'")


def previous_month(today):
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last:%Y-%m}"


def _month_bounds(month):
    year, mon = (int(part) for part in month.split("-"))
    first = dt.date(year, mon, 1)
    return first, dt.date(year + (mon == 12), mon % 12 + 1, 1)


def top_up_visits(url, month):
    """Copies of the month's monthly visits, as sick visits, until it holds TARGET_ROWS."""
    first, following = _month_bounds(month)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        where = "visited_on >= :first AND visited_on < :following AND deleted_at IS NULL"
        bounds = {"first": first, "following": following}
        have = connection.execute(sa.text(f"SELECT count(*) FROM visit WHERE {where}"),
                                  bounds).scalar()
        missing = max(0, TARGET_ROWS - have)
        if missing:
            connection.execute(sa.text(
                f"INSERT INTO visit (id, {COLUMNS}) SELECT gen_random_uuid(), "
                f"{SICK_COPY} FROM visit "
                f"WHERE {where} AND visit_type = 'monthly' ORDER BY id LIMIT :missing"),
                {**bounds, "missing": missing})
        total = connection.execute(sa.text(f"SELECT count(*) FROM visit WHERE {where}"),
                                   bounds).scalar()
        connection.execute(sa.text("ANALYZE visit"))
    engine.dispose()
    return have, total


def _get(base, path, token):
    began = time.perf_counter()
    status, body, headers = harness.request(base, "GET", path, token=token)
    assert status == 200, body[:300]
    return time.perf_counter() - began, body, headers


def export_visits(base, token, month):
    began = time.perf_counter()
    status, body, _ = harness.request(base, "POST", "/api/v1/exports",
                                      {"kind": "visits", "month": month}, token)
    assert status == 202, body[:300]
    job = json.loads(body)
    polls = 0
    while job["status"] not in ("done", "failed"):
        time.sleep(0.5)
        polls += 1
        _seconds, body, _ = _get(base, f"/api/v1/exports/{job['job_id']}", token)
        job = json.loads(body)
    written = time.perf_counter() - began
    assert job["status"] == "done", job
    _seconds, data, _ = _get(base, f"/api/v1/exports/{job['job_id']}/file", token)
    return job, written, time.perf_counter() - began, len(data), polls, data


def run(tmpdir, kind="postgresql"):
    print(f"\n== ledger export: a county-scale month of visits ({kind}) ==")
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade", "heads"], url)
        began = time.perf_counter()
        harness.flask(["seed-demo", "--scale", "county"], url)
        print(harness.seed_figure(time.perf_counter() - began))
        month = previous_month(dt.date.today())
        had, total = top_up_visits(url, month)
        print(f"visits of {month}: {had} seeded, {total} after topping up")
        with harness.server(url) as (base, process):
            token = harness.login(base, "county1")
            job, written, wall, size, polls, data = export_visits(base, token, month)
            print(f"exported {job['rows']:,} rows in {written:.1f} s "
                  f"({job['rows'] / written:,.0f} rows/s; target ≤ {TARGET_SECONDS} s), "
                  f"download included {wall:.1f} s, file {size / 1024 / 1024:.1f} MB, "
                  f"{polls} progress polls")
            from openpyxl import load_workbook

            sheet = load_workbook(BytesIO(data), read_only=True).worksheets[0]
            rows = sum(1 for _row in sheet.iter_rows(min_row=3, values_only=True))
            print(f"workbook re-opened: {rows:,} data rows (expected {job['rows']:,})")
            seconds, _body, _ = _get(base, f"/api/v1/dashboard?month={month}", token)
            print(f"dashboard, whole county by township: {seconds * 1000:.0f} ms")
            seconds, pdf, _ = _get(base, f"/api/v1/reports/monthly.pdf?month={month}", token)
            print(f"monthly report PDF (44 pages): {seconds:.1f} s, {len(pdf) / 1024:.0f} KB")
            print(f"server memory (gunicorn, 4 workers): {harness.rss_mb(process):.0f} MB RSS")


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run(tmp, sys.argv[1] if len(sys.argv) > 1 else "postgresql")
