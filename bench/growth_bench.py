"""How the costs grow with the data (issue #20 point 4, last bullet): the county's visit
day, a liaison's first pull and the staff's county-wide reads at 1×, 2× and 4× the
county — a prefecture of up to four counties side by side in one PostgreSQL database
(``seed-demo --scale county --counties N``: each county 43 townships, 528 villages,
118,000 people, its own codes and users).

At every scale the load is one county's: the 528 phones of the first county push their
month (bench/visit_day.py's visit day, straight to one gunicorn of 4 workers) while the
database holds N counties. That is how a prefecture grows: a bigger database, the same
per-county day. Then, on the same server: the first pull of ``FIRST_PULLS`` liaisons
(one at a time, nothing else running), and the staff reads — the dashboard and the
review queue of ``county1`` (a county officer sees every county of its database: the
scope model has one county per database, docs/deploy.md) and of ``township1`` (one
township: the same data at every scale).

A figure whose ratio to 1× stays near 1 grows with the county's load, not the
database; one that follows N grows with the database. Prints a table; asserts nothing.
Run alone: ``python -m bench.growth_bench 1 2 4`` (4× seeds 472,000 people: about
six minutes of seeding on this machine, the whole run about twenty).
"""

import statistics
import sys
import time

import sqlalchemy as sa

from . import harness, shape_bench, visit_day

SCALES = (1, 2, 4)
FIRST_PULLS = 8  # liaisons whose first pull is timed, one after another
READS = 5  # times each staff read is repeated (the median is printed)
STAFF_READS = (("dashboard", "/api/v1/dashboard"), ("review queue", "/api/v1/review/visits"))


def _first_county(url):
    """The first county's village ids, its people, and the database: size, people, visits,
    change-log rows, and the two tables' sizes."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        villages = set(connection.scalars(sa.text(
            "SELECT v.id FROM region v JOIN region t ON v.parent_id = t.id "
            "JOIN region c ON t.parent_id = c.id WHERE c.code = '510822'")))
        size = connection.execute(sa.text(
            "SELECT pg_database_size(current_database()), "
            "(SELECT count(*) FROM beneficiary), (SELECT count(*) FROM visit), "
            "(SELECT count(*) FROM sync_change), pg_total_relation_size('visit'), "
            "pg_total_relation_size('sync_change')")).one()
    engine.dispose()
    return villages, size


def _staff_reads(base):
    """{(who, what): median seconds} of the staff reads, each READS times."""
    timings = {}
    for who in ("county1", "township1"):
        token = harness.login(base, who)
        for what, path in STAFF_READS:
            seconds = []
            for _ in range(READS):
                began = time.perf_counter()
                status, raw, _ = harness.request(base, "GET", path, token=token)
                seconds.append(time.perf_counter() - began)
                assert status == 200, raw[:200]
            timings[(who, what)] = statistics.median(seconds)
    return timings


def _first_pulls(base, phones):
    """Median seconds and records of a first pull, ``FIRST_PULLS`` liaisons one at a time."""
    sample = phones[::max(1, len(phones) // FIRST_PULLS)][:FIRST_PULLS]
    errors = []
    for phone in sample:
        visit_day._login(base, phone, errors)
    pulls = []
    for phone in sample:
        first = visit_day.Phone(**{**phone.__dict__, "cursor": None})
        pulls.append(visit_day._pull(base, first))
    return {"seconds": statistics.median(p["wall"] for p in pulls),
            "server": statistics.median(p["server"] for p in pulls),
            "records": statistics.median(p["records"] for p in pulls),
            "pages": statistics.median(p["pages"] for p in pulls),
            "gave_up": sum(p["gave_up"] for p in pulls)}


def measure(tmpdir, counties):
    """One scale: seed N counties, the first county's visit day, first pulls, staff reads."""
    print(f"\n-- {counties}× the county ({counties} count{'ies' if counties > 1 else 'y'} in "
          f"one database) --")
    with harness.database("postgresql", tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        began = time.perf_counter()
        harness.flask(["seed-demo", "--scale", "county", "--counties", str(counties)], url)
        seed_s = time.perf_counter() - began
        villages, (size, people, visits, changes, visit_bytes, change_bytes) = _first_county(url)
        print(f"seed: {seed_s:.0f} s; {people:,} people, {visits:,} visits, {changes:,} change-log "
              f"rows; database {size / 2**20:,.0f} MB (visit {visit_bytes / 2**20:,.0f} MB, "
              f"sync_change {change_bytes / 2**20:,.0f} MB)")
        day = visit_day._visit_day()
        phones = [p for p in visit_day._phones(url, day) if p.region_id in villages]
        minted = visit_day._mint_cursors(url, phones)
        before_total = visit_day._visit_counts(url)[0]
        with visit_day._environment(LIANXIN_PROXY_HOPS="1"), harness.server(url, 4) as (
                base, _process):
            pulls = _first_pulls(base, phones)
            reads = _staff_reads(base)
            print(f"before the day: {visit_day._load()}")
            days, sent, wall, push_s = shape_bench._day(base, phones, minted)
            outcome = shape_bench._outcome(url, before_total, sent)
            print(f"visit day, {len(phones)} phones of the first county: {sent:,} visits in "
                  f"{wall:.1f} s wall, pushes done after {push_s:.1f} s ({sent / push_s:,.0f} "
                  f"visits/s); {outcome['lost']} lost, {outcome['duplicates']} duplicated; "
                  f"{sum(len(d.errors) for d in days)} failed requests retried")
            print(f"first pull of a liaison (median of {FIRST_PULLS}): {pulls['seconds']:.2f} s "
                  f"wall, {pulls['server']:.2f} s server, {pulls['records']:,.0f} records "
                  f"({pulls['records'] / pulls['seconds']:,.0f} records/s); "
                  f"{pulls['gave_up']} gave up")
            print("staff reads (median of 5): " + "; ".join(
                f"{who} {what} {seconds * 1000:,.0f} ms" for (who, what), seconds in reads.items()))
            print(f"after: {visit_day._load()}")
    return {"counties": counties, "people": people, "size": size, "seed": seed_s,
            "day": wall, "push": push_s, "visits_per_s": sent / push_s, "pull": pulls["seconds"],
            "pull_records": pulls["records"], "reads": reads}


def _table(rows):
    first = rows[0]
    print("\n== growth: one county's visit day and first pulls while the database holds N "
          "counties (PostgreSQL, gunicorn 4 workers) ==")
    header = ("scale", "people", "DB size", "seed s", "visit day s", "visits/s",
              "first pull s", "pull ÷ 1×", "day ÷ 1×",
              *(f"{who} {what} ms" for who, what in first["reads"]))
    print(" | ".join(header))
    for row in rows:
        print(" | ".join((
            f"{row['counties']}×", f"{row['people']:,}", f"{row['size'] / 2**20:,.0f} MB",
            f"{row['seed']:.0f}", f"{row['day']:.1f}", f"{row['visits_per_s']:,.0f}",
            f"{row['pull']:.2f}", f"{row['pull'] / first['pull']:.2f}",
            f"{row['day'] / first['day']:.2f}",
            *(f"{seconds * 1000:,.0f} ({seconds / first['reads'][key]:.1f}×)"
              for key, seconds in row["reads"].items()))))
    print("(the data grows N×; a ratio near 1 stays with the county's own load. county1 sees "
          "every county of its database, so its reads follow N by design)")


def run(tmpdir, scales=SCALES):
    began = time.perf_counter()
    print(f"\n== growth: 1×, 2×, 4× the county (a prefecture of four), PostgreSQL; scales "
          f"{', '.join(f'{n}×' for n in scales)} ==")
    rows = [measure(tmpdir, counties) for counties in scales]
    _table(rows)
    print(f"(growth bench took {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":  # python -m bench.growth_bench [1 2 4]
    import tempfile

    from .__main__ import machine_reference

    machine_reference()
    with tempfile.TemporaryDirectory() as directory:
        run(directory, tuple(int(n) for n in sys.argv[1:]) or SCALES)
