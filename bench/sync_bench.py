"""Sync throughput and first-pull cost on the county scale (issue: offline sync, server side).

Workload: the county seed on PostgreSQL, gunicorn with 4 workers; 8 liaison
phones push their village's monthly visits for the past 12 months (≈224 people
× 12) in batches of 100, all 8 at once; then a fresh phone of one village does
its first pull with gzip. Prints visits/s, latency percentiles, pull server time
and bytes, server memory, and checks that every visit landed exactly once.
"""

import datetime as dt
import json
import threading
import time
import uuid

import sqlalchemy as sa

from . import harness

CLIENTS = 8
BATCH = 100
MONTHS = 12


def _village_people(url, usernames):
    engine = sa.create_engine(url)
    people = {}
    with engine.connect() as connection:
        for username in usernames:
            rows = connection.execute(sa.text(
                "SELECT b.id FROM beneficiary b JOIN user_account u ON u.region_id = b.village_id "
                "WHERE u.username = :u AND b.deleted_at IS NULL AND b.status = 'active'"),
                {"u": username}).all()
            people[username] = [str(r[0]) for r in rows]
    engine.dispose()
    return people


def _liaisons(url, count):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        names = connection.execute(sa.text(
            "SELECT username FROM user_account WHERE role = 'liaison' ORDER BY username LIMIT :n"),
            {"n": count}).scalars().all()
    engine.dispose()
    return list(names)


def _visit_days(today):
    days = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        days.append(dt.date(year, month, 18))
    return days


def _push_all(base, username, people, latencies, errors, counts):
    token = harness.login(base, username)
    client_id = f"bench-{username}-{uuid.uuid4().hex[:6]}"
    days = _visit_days(dt.date.today())
    visits = [(person, day) for day in days for person in people]
    next_id = 1
    for start in range(0, len(visits), BATCH):
        mutations = []
        for person, day in visits[start:start + BATCH]:
            mutations.append({"id": next_id, "entity": "visit", "op": "upsert",
                              "record_id": str(uuid.uuid4()), "base_version": None,
                              "data": {"beneficiary_id": person, "visit_type": "monthly",
                                       "visited_on": day.isoformat(),
                                       "summary": "身体尚好，生活平稳，无新增诉求。",
                                       "needs": "希望了解今年优待金发放时间。"},
                              "client_time": f"{day.isoformat()}T09:30:00+08:00"})
            next_id += 1
        body = {"client_id": client_id, "schema_version": 1, "app_version": "bench",
                "outbox_size": len(visits) - start, "mutations": mutations}
        began = time.perf_counter()
        status, raw, _ = harness.request(base, "POST", "/api/v1/sync/push", body, token)
        latencies.append(time.perf_counter() - began)
        if status != 200:
            errors.append((status, raw[:200]))
            continue
        for result in json.loads(raw)["results"]:
            counts[result["status"]] = counts.get(result["status"], 0) + 1


def _first_pull(base, username):
    token = harness.login(base, username)
    headers = {"X-Client-Id": f"bench-pull-{uuid.uuid4().hex[:6]}", "Accept-Encoding": "gzip"}
    cost = harness.pull_all(lambda path: harness.request(base, "GET", path, token=token,
                                                         headers=headers))
    assert cost["status"] == 200, cost
    return cost


def _count_visits(url):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT count(*) FROM visit")).scalar()
        distinct = connection.execute(sa.text("SELECT count(DISTINCT id) FROM visit")).scalar()
    engine.dispose()
    return total, distinct


def run(tmpdir, kind="postgresql"):
    print(f"\n== sync: {CLIENTS} phones × {MONTHS} months of visits, batches of {BATCH} ({kind}) ==")
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        began = time.perf_counter()
        harness.flask(["seed-demo", "--scale", "county"], url)
        print(harness.seed_figure(time.perf_counter() - began))
        usernames = _liaisons(url, CLIENTS)
        people = _village_people(url, usernames)
        before, _ = _count_visits(url)
        with harness.server(url) as (base, process):
            latencies, errors, counts, threads = [], [], {}, []
            began = time.perf_counter()
            for username in usernames:
                thread = threading.Thread(target=_push_all, args=(
                    base, username, people[username], latencies, errors, counts))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            sent = sum(len(p) for p in people.values()) * MONTHS
            print(f"pushed {sent} visits in {elapsed:.1f} s: {sent / elapsed:,.0f} visits/s "
                  f"(target ≥ 1,000/s)")
            print(f"push latency per 100: p50 {harness.percentile(latencies, .5) * 1000:.0f} ms, "
                  f"p95 {harness.percentile(latencies, .95) * 1000:.0f} ms, "
                  f"p99 {harness.percentile(latencies, .99) * 1000:.0f} ms")
            print(f"results {counts}, errors {len(errors)} {errors[:2]}")
            pull = _first_pull(base, usernames[0])
            print(f"first pull of one village: {pull['records']} records in {pull['pages']} pages, "
                  f"server {pull['server']:.2f} s (target ≤ 0.5 s), wall {pull['wall']:.2f} s, "
                  f"{pull['bytes'] / 1024:.0f} KB gzipped (target ≤ 300 KB)")
            print(f"server memory (gunicorn, 4 workers): {harness.rss_mb(process):.0f} MB RSS")
        after, distinct = _count_visits(url)
        print(f"visits in database: {after - before} new, {after - distinct} duplicates "
              f"(expected {sent} new, 0 duplicates)")
