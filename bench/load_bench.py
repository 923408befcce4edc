"""Many phones syncing at once (issue #9): 50 clients pushing and pulling for two minutes.

Workload: the demo county on PostgreSQL, gunicorn with 4 workers. The demo
has six liaisons (one per village), so the 50 phones are spread over them —
several installs per liaison, each with its own ``client_id``. Every phone
loops until the time is up: push a batch of 1–20 new visits (the same batch
again after any failure, until acknowledged, as SYNC.md says), then pull from
its cursor until ``has_more`` is false, then wait a moment (``think`` seconds at
most). Its first pull is the whole village.

At the end each phone pulls once more, and the bench checks:

* no answer was a 5xx (counted by status, with network errors apart);
* every acknowledged mutation is in the database exactly once
  (``fault_bench.verify``: last_mutation_id, sync_mutation ids 1‥n, each visit
  once at version 1 with one ``create`` audit row, no other new visit);
* every phone has pulled every visit that any phone of its village pushed
  (no change skipped by a cursor while others were writing).

Prints p50/p95/p99 latency for push and pull (first and later pulls apart),
requests/s and visits/s, status counts and the server's memory.
"""

import json
import random
import threading
import time
import urllib.parse
from collections import Counter

import sqlalchemy as sa

from . import harness
from .fault_bench import NETWORK_ERRORS, Gunicorn, Phone, call, demo_people, login, verify

MAX_BATCH = 20
WORKERS = 4


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {"push": [], "pull_first": [], "pull": []}
        self.statuses = {"push": Counter(), "pull": Counter()}
        self.failures = []

    def record(self, kind, outcome, seconds, detail=None):
        with self.lock:
            self.statuses["push" if kind == "push" else "pull"][outcome] += 1
            if outcome == 200:
                self.latency[kind].append(seconds)
            elif detail is not None and len(self.failures) < 20:
                self.failures.append((kind, outcome, detail))


class LoadPhone(Phone):
    """A phone that also pulls, and remembers which visits its pulls brought."""

    def __init__(self, *args, village, **kwargs):
        super().__init__(*args, **kwargs)
        self.village = village
        self.cursor = None
        self.seen_visits = set()
        self.pulls = 0
        self.resets = 0

    def push_batch(self, stats, give_up_at):
        mutations = self.visits(random.randint(1, MAX_BATCH))
        body = self.envelope(mutations)
        pause = 0.2
        while True:
            began = time.perf_counter()
            try:
                status, _, raw = call(self.base, "POST", "/api/v1/sync/push", body, self.token,
                                      timeout=120)
            except NETWORK_ERRORS as exc:
                stats.record("push", f"network {type(exc).__name__}", 0, str(exc)[:120])
            else:
                stats.record("push", status, time.perf_counter() - began, raw[:200])
                if status == 200:
                    self._acknowledge(mutations, json.loads(raw))
                    return
            if time.monotonic() > give_up_at:
                self.violations.append(f"batch from {mutations[0]['id']} never acknowledged")
                return
            time.sleep(pause)
            pause = min(pause * 2, 5)

    def pull_all(self, stats, give_up_at):
        while True:
            kind = "pull_first" if self.cursor is None else "pull"
            path = "/api/v1/sync/pull?limit=500"
            if self.cursor:
                path += "&cursor=" + urllib.parse.quote(self.cursor)
            began = time.perf_counter()
            try:
                status, _, raw = call(self.base, "GET", path, token=self.token, timeout=120,
                                      headers={"X-Client-Id": self.client_id,
                                               "Accept-Encoding": "gzip"})
            except NETWORK_ERRORS as exc:
                stats.record(kind, f"network {type(exc).__name__}", 0, str(exc)[:120])
                status = None
            else:
                stats.record(kind, status, time.perf_counter() - began, raw[:200])
            if status != 200:
                if time.monotonic() > give_up_at:
                    self.violations.append("pull never answered")
                    return
                time.sleep(0.5)
                continue
            page = json.loads(raw)
            self.pulls += 1
            if page["reset"]:
                self.resets += 1
                self.seen_visits.clear()
            for change in page["changes"]:
                if change["entity"] != "visit":
                    continue
                if change["op"] == "upsert":
                    self.seen_visits.add(change["record_id"])
                else:
                    self.seen_visits.discard(change["record_id"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return


def _liaisons(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(
                "SELECT username FROM user_account WHERE role = 'liaison' "
                "ORDER BY username")).scalars().all()
    finally:
        engine.dispose()


def _percentiles(values):
    if not values:
        return "no answers"
    p = [harness.percentile(values, f) * 1000 for f in (0.5, 0.95, 0.99)]
    return f"p50 {p[0]:.0f} ms, p95 {p[1]:.0f} ms, p99 {p[2]:.0f} ms ({len(values)} answers)"


def run(tmpdir, seconds=120, clients=50, think=0.2, kind="postgresql"):
    print(f"\n== sync under load: {clients} phones pushing and pulling for {seconds} s "
          f"({kind}, gunicorn {WORKERS} workers, demo county) ==")
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url, timeout=300)
        harness.flask(["seed-demo"], url, timeout=300)
        liaisons = _liaisons(url)
        people = {name: demo_people(url, name) for name in liaisons}
        liaisons = [name for name in liaisons if people[name]]
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            before = connection.execute(sa.text("SELECT count(*) FROM visit")).scalar()
        engine.dispose()
        server = Gunicorn(url, tmpdir, name="load", workers=WORKERS)
        with server:
            tokens = {name: login(server.base, name) for name in liaisons}
            phones = []
            for number in range(clients):
                name = liaisons[number % len(liaisons)]
                phones.append(LoadPhone(server.base, tokens[name], people[name], village=name,
                                        label=f"load{number:02d}", seed=number))
            stats = Stats()
            start = threading.Barrier(clients + 1)
            began = time.monotonic()
            deadline = began + seconds

            def drive(phone, seed):
                rng = random.Random(seed)
                start.wait()
                give_up = deadline + 120
                while time.monotonic() < deadline:
                    phone.push_batch(stats, give_up)
                    phone.pull_all(stats, give_up)
                    time.sleep(rng.uniform(0, think))

            threads = [threading.Thread(target=drive, args=(phone, n), daemon=True)
                       for n, phone in enumerate(phones)]
            for thread in threads:
                thread.start()
            start.wait()
            began = time.monotonic()
            for thread in threads:
                thread.join(seconds + 300)
            elapsed = time.monotonic() - began
            stuck = sum(thread.is_alive() for thread in threads)
            rss = harness.rss_mb(server.process)
            # Every phone catches up once more, now that nobody writes.
            final = Stats()
            for phone in phones:
                phone.pull_all(final, time.monotonic() + 60)
            server_errors = server.errors_logged()

        pushed = [r for phone in phones for r in phone.acked.values()]
        requests = sum(sum(c.values()) for c in stats.statuses.values())
        print(f"{clients} phones over {len(liaisons)} liaisons (villages), {elapsed:.0f} s, "
              f"think time ≤ {think} s between rounds")
        print(f"push: {_percentiles(stats.latency['push'])}; {len(pushed)} visits acknowledged, "
              f"{len(pushed) / elapsed:,.0f} visits/s")
        print(f"first pull (whole village): {_percentiles(stats.latency['pull_first'])}")
        print(f"later pulls: {_percentiles(stats.latency['pull'])}")
        print(f"requests: {requests} in {elapsed:.0f} s = {requests / elapsed:,.1f} requests/s")
        for kind_, counter in stats.statuses.items():
            print(f"{kind_} answers by status: {dict(sorted(counter.items(), key=str))}")
        fives = sum(n for c in stats.statuses.values() for s, n in c.items()
                    if isinstance(s, int) and s >= 500)
        network = sum(n for c in stats.statuses.values() for s, n in c.items()
                      if isinstance(s, str))
        problems, checked = verify(url, phones, before)
        missed = 0
        pushed_by_village = {}
        for phone in phones:
            applied = {phone.record_of[m] for m, r in phone.acked.items() if r["status"] == "applied"}
            pushed_by_village.setdefault(phone.village, set()).update(applied)
        for phone in phones:
            missed += len(pushed_by_village[phone.village] - phone.seen_visits)
        print(f"server: {server_errors} unhandled errors logged, {rss:.0f} MB RSS "
              f"(gunicorn, {WORKERS} workers); {stuck} phones stuck")
        print(f"5xx answers: {fives}; network errors: {network}; failures {stats.failures[:3]}")
        print(f"exactly once: {checked} mutations checked, {len(problems)} problems {problems[:3]}")
        expected = sum(len(pushed_by_village[phone.village]) for phone in phones)
        print(f"pull completeness: after a final pull each phone holds every visit pushed in its "
              f"village — {expected - missed} of {expected} (phone × visit), {missed} missing")
        passed = not (fives or network or problems or missed or stuck or server_errors)
        print(f"{'PASS' if passed else 'FAIL'}: zero 5xx, zero lost or duplicated mutations, "
              "no change missed by a pull")
        return passed


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        arguments = [int(a) for a in sys.argv[1:3]]
        raise SystemExit(0 if run(directory, *arguments) else 1)
