"""The county's visit day, side by side with a peer (issue #8, county-scale performance).

Workload: the county seed (43 townships, 528 villages, 118,000 people) on a
throw-away database, gunicorn with 4 workers as in production. On the visit day
every village liaison's phone (528 of them, 16 at a time) pushes one monthly
visit for each active person of its village, dated the current month's visit
day, in batches of 100, then pulls what changed since its last pull (gzip).
Logins (argon2) happen before the clock and are timed on their own. Each phone
sends its own X-Forwarded-For and the server runs with LIANXIN_PROXY_HOPS=1, as
behind nginx, so the per-address login limit sees 528 phones. The cursor a
phone pulls from is the one its last pull before the day would have left, made
from the scope counters with the server's cursor code. A failed request (503,
a dropped connection) is retried a little later, as a phone does, and counted.
Pull throughput, the figure set beside Kinto's: every phone pulls the visit day
again, 16 at a time, with nothing else running.

Then, on the same machine in the same run:

* the floor: the very rows the visit day wrote (visits, audit rows, change log,
  scope counters, mutation log, tasks it closed …), found by the database itself
  (PostgreSQL: row versions newer than a transaction id taken before the clock;
  SQLite: rowids above the old maximum, inserts only) and written again into a
  copy of the database made before the visit day, one SQLAlchemy Core
  ``executemany`` per table, in one transaction. Push time ÷ floor time says how
  far the push path is from what the database alone needs;
* the peer: Kinto, installed into a throw-away venv, on PostgreSQL storage and
  permission backends, gunicorn with 4 workers, fed the same visit JSON through
  ``POST /v1/batch`` (``PUT …/records/<id>`` with ``If-None-Match: *``, 25 per
  batch, Kinto's default maximum), 16 phones at a time, then each village's
  collection pulled whole (paged, 16 at a time, repeated for ≥ 5 s). Kinto is
  fed a sample of villages (``kinto_villages``): at ≈200 records/s the whole
  county would take ten minutes on its own; rates are per second either way.

Entry point: ``run(tmpdir, kind="postgresql")``; ``kind="sqlite"`` runs the same
visit day on SQLite (no peer). Prints figures; asserts nothing.
"""

import base64
import concurrent.futures as cf
import contextlib
import datetime as dt
import gzip
import importlib.metadata
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import types
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from . import harness

AT_ONCE = 16  # phones syncing at the same time
BATCH = 100  # visits per push
WORKERS = 4  # gunicorn workers, ours and Kinto's
SUMMARY = "身体尚好，生活平稳，无新增诉求。"
NEEDS = "希望了解今年优待金发放时间。"
KINTO_VERSION = "26.5.0"
KINTO_BATCH = 25  # Kinto's default batch_max_requests
KINTO_VILLAGES = 64  # villages whose visits Kinto is fed (≈13,500 records)
KINTO_BUCKET = "visits"
KINTO_PASSWORD = "bench-password"
ATTEMPTS = 5  # tries of one request (login, push, pull page) before giving up


@dataclass
class Phone:
    """One liaison's phone: who, what it will push, and how far it had pulled."""

    username: str
    user_id: int
    region_id: uuid.UUID
    ip: str
    client_id: str
    visits: list = field(default_factory=list)  # [(record id, data)]
    token: str = ""
    cursor: str | None = None


@dataclass
class PhoneDay:
    """What one phone saw on the visit day."""

    latencies: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    batches_lost: int = 0  # pushes still failing after ATTEMPTS tries
    push_done: float = 0.0
    pull: dict = field(default_factory=dict)


# --- helpers ------------------------------------------------------------------------------


def _visit_day():
    """The current month's visit day, or today when that is still ahead (the server
    refuses visits dated after today, county time)."""
    today = dt.datetime.now(ZoneInfo(os.environ.get("LIANXIN_TZ", "Asia/Shanghai"))).date()
    day = today.replace(day=int(os.environ.get("LIANXIN_VISIT_DAY", "18")))
    return min(day, today)


def _engine(url):
    return sa.create_engine(url)


def _phones(url, day):
    """Every active village liaison with the visits of every active person of the village."""
    engine = _engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT u.username, u.id, u.region_id, b.id FROM user_account u "
            "JOIN beneficiary b ON b.village_id = u.region_id "
            "WHERE u.role = 'liaison' AND u.active AND b.deleted_at IS NULL "
            "AND b.status = 'active' ORDER BY u.username, b.id")).all()
    engine.dispose()
    phones = {}
    for username, user_id, region_id, person in rows:
        phone = phones.get(username)
        if phone is None:
            number = len(phones)
            phone = phones[username] = Phone(
                username=username, user_id=user_id, region_id=uuid.UUID(str(region_id)),
                ip=f"10.{number // 250}.{number % 250}.{1 + number % 200}",
                client_id=f"visitday-{username}-{uuid.uuid4().hex[:6]}")
        phone.visits.append((str(uuid.uuid4()), {
            "beneficiary_id": str(uuid.UUID(str(person))), "visit_type": "monthly",
            "visited_on": day.isoformat(), "summary": SUMMARY, "needs": NEEDS}))
    return list(phones.values())


def _mint_cursors(url, phones):
    """Each phone's cursor as its last pull before the visit day left it.

    Made from the scope counters with the server's own cursor code instead of 528
    first pulls of ≈4,000 records each; the pull after the push is then the
    incremental pull a phone makes on the day. Returns False (first pulls then)
    if the cursor code cannot be used.
    """
    if str(harness.ROOT) not in sys.path:
        sys.path.insert(0, str(harness.ROOT))
    try:
        from server.records.changelog import (
            COUNTY_SCOPE,
            REGIONS_SCOPE,
            user_scope,
            village_scope,
        )
        from server.sync.cursor import Cursor, scope_signature
    except ImportError as error:
        print(f"(cursor code not importable: {error}; pulls after the push are first pulls)")
        return False
    engine = _engine(url)
    with engine.connect() as connection:
        scopes = {key: (sid, seq) for key, sid, seq in connection.execute(
            sa.text("SELECT key, id, seq FROM sync_scope"))}
    engine.dispose()
    for phone in phones:
        keys = (REGIONS_SCOPE, COUNTY_SCOPE, user_scope(phone.user_id),
                village_scope(phone.region_id))
        positions = {scopes[k][0]: scopes[k][1] for k in keys if k in scopes}
        user = types.SimpleNamespace(role="liaison", region_id=phone.region_id)
        phone.cursor = Cursor(scope_signature(user), positions).encode()
    return True


@contextlib.contextmanager
def _environment(**values):
    """Variables for the server processes started inside (harness.server reads os.environ)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _PeakRss:
    """Samples a gunicorn's memory (master + workers) every second; keeps the peak."""

    def __init__(self, process):
        self.process, self.peak, self._stop = process, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, harness.rss_mb(self.process))
            self._stop.wait(1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _problem(what, status, raw):
    """A failed request in a few words: what, status and the problem's code."""
    try:
        code = json.loads(raw).get("code") or ""
    except (ValueError, AttributeError):
        code = raw[:80].decode(errors="replace")
    return f"{what} {status} {code}".strip()


def _tally(errors):
    counts = {}
    for error in errors:
        counts[error] = counts.get(error, 0) + 1
    return counts


def _load():
    """The machine's load and speed: figures taken while something else runs, or while
    the host gives this machine less CPU, are not comparable."""
    one, five, _ = os.getloadavg()
    return (f"machine load {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores; "
            f"{harness.cpu_probe()}")


def _settled(url, kind, limit=90):
    """Wait (≤ ``limit`` s) until PostgreSQL's autovacuum, which the visit day's 111,640
    inserts wake, has finished, so that a throughput figure measures the server alone;
    returns what was waited, for the printout."""
    if kind != "postgresql":
        return ""
    engine, began = _engine(url), time.perf_counter()
    try:
        with engine.connect() as connection:
            while time.perf_counter() - began < limit:
                busy = connection.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                )).scalar()
                connection.rollback()
                if not busy:
                    break
                time.sleep(1)
    finally:
        engine.dispose()
    return f"waited {time.perf_counter() - began:.0f} s for autovacuum; "


def _ms(seconds):
    return f"{seconds * 1000:,.0f} ms"


def _percentiles(values):
    if not values:
        return "no samples"
    return (f"p50 {_ms(harness.percentile(values, .5))}, p95 {_ms(harness.percentile(values, .95))}, "
            f"p99 {_ms(harness.percentile(values, .99))}, max {_ms(max(values))}")


def _pool(function, items):
    """``function(item)`` for every item, AT_ONCE at a time; results in order."""
    with cf.ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        return list(pool.map(function, items))


# --- our server ---------------------------------------------------------------------------


def _send(base, method, path, body=None, token=None, headers=None, *, what, errors,
          latencies=None):
    """One request as a phone makes it: a failure (503 when the database is busy, a
    dropped connection) is retried a little later, up to ATTEMPTS times. Each failed
    try is noted in ``errors``; each try's time in ``latencies``."""
    for attempt in range(ATTEMPTS):
        began = time.perf_counter()
        try:
            status, raw, response_headers = harness.request(base, method, path, body, token,
                                                            headers)
        except OSError as error:
            status, raw, response_headers = None, repr(error).encode(), {}
        if latencies is not None:
            latencies.append(time.perf_counter() - began)
        if status == 200:
            break
        errors.append(_problem(what, status, raw))
        if attempt + 1 < ATTEMPTS:
            time.sleep(0.5 * (attempt + 1))
    return status, raw, response_headers


def _login(base, phone, errors):
    status, raw, _ = _send(base, "POST", "/api/v1/auth/login",
                           {"username": phone.username, "password": "Lianxin-demo-2026"},
                           headers={"X-Forwarded-For": phone.ip}, what="login", errors=errors)
    if status != 200:
        raise RuntimeError(f"login of {phone.username}: {_problem('login', status, raw)}")
    phone.token = json.loads(raw)["access_token"]


def _push(base, phone, day_seen):
    headers = {"X-Forwarded-For": phone.ip}
    client_time = f"{phone.visits[0][1]['visited_on']}T09:30:00+08:00" if phone.visits else ""
    for start in range(0, len(phone.visits), BATCH):
        mutations = [
            {"id": start + offset + 1, "entity": "visit", "op": "upsert", "record_id": record_id,
             "base_version": None, "data": data, "client_time": client_time}
            for offset, (record_id, data) in enumerate(phone.visits[start:start + BATCH])]
        body = {"client_id": phone.client_id, "schema_version": 1, "app_version": "bench",
                "outbox_size": len(phone.visits) - start, "mutations": mutations}
        # A resent push is answered from the stored results: exactly once holds.
        status, raw, _ = _send(base, "POST", "/api/v1/sync/push", body, phone.token, headers,
                               what="push", errors=day_seen.errors,
                               latencies=day_seen.latencies)
        if status != 200:
            day_seen.batches_lost += 1
            break  # the next push would only get 409 (a gap): the phone tries again later
        for result in json.loads(raw)["results"]:
            day_seen.statuses[result["status"]] = day_seen.statuses.get(result["status"], 0) + 1
    day_seen.push_done = time.perf_counter()


def _pull(base, phone):
    """Pull from the phone's cursor until nothing more; returns what it cost."""
    headers = {"X-Client-Id": phone.client_id, "Accept-Encoding": "gzip",
               "X-Forwarded-For": phone.ip}
    errors = []
    cost = harness.pull_all(lambda path: _send(base, "GET", path, token=phone.token,
                                               headers=headers, what="pull", errors=errors),
                            phone.cursor)
    return {**cost, "errors": errors, "gave_up": cost["status"] != 200}


def _phone_day(base, phone):
    seen = PhoneDay()
    _push(base, phone, seen)
    seen.pull = _pull(base, phone)
    seen.errors += seen.pull["errors"]
    return seen


def _marker(url, kind):
    """Where the database stands before the clock: a transaction id, or rowids per table."""
    engine = _engine(url)
    with engine.connect() as connection:
        if kind == "postgresql":
            marker = connection.execute(sa.text("SELECT txid_current()")).scalar() % 2**32
        else:
            marker = {}
            for name in sa.inspect(connection).get_table_names():
                with contextlib.suppress(sa.exc.DBAPIError):
                    marker[name] = connection.execute(
                        sa.text(f'SELECT coalesce(max(rowid), 0) FROM "{name}"')).scalar()
    engine.dispose()
    return marker


def _visit_counts(url):
    engine = _engine(url)
    with engine.connect() as connection:
        total, distinct = connection.execute(
            sa.text("SELECT count(*), count(DISTINCT id) FROM visit")).one()
        ours, people = connection.execute(sa.text(
            "SELECT count(*), count(DISTINCT beneficiary_id) FROM visit WHERE summary = :s"),
            {"s": SUMMARY}).one()
    engine.dispose()
    return total, distinct, ours, people


# --- the floor ----------------------------------------------------------------------------


@contextlib.contextmanager
def _copy(kind, url, tmpdir):
    """A copy of the database as it stands (no server may be connected to it)."""
    if kind == "sqlite":
        path = f"{tmpdir}/floor-{uuid.uuid4().hex[:8]}.db"
        source, target = sqlite3.connect(sa.make_url(url).database), sqlite3.connect(path)
        source.backup(target)
        source.close()
        target.close()
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)
        return
    name = f"lianxin_floor_{uuid.uuid4().hex[:8]}"
    source = sa.make_url(url).database
    harness._psql_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        harness._psql_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _raw_tables(engine, kind):
    metadata = sa.MetaData()
    metadata.reflect(engine)
    if kind == "sqlite":
        # Values copied as stored (no type round trip through Python).
        for table in metadata.tables.values():
            for column in table.columns:
                column.type = sa.types.NullType()
    return metadata


def _written(url, kind, marker):
    """{table: rows} the visit day wrote (inserted or updated), read back by row version."""
    engine = _engine(url)
    metadata = _raw_tables(engine, kind)
    written = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if kind == "postgresql":
                condition = sa.text("xmin::text::bigint > :marker").bindparams(marker=marker)
            elif table.name in marker:
                condition = sa.text("rowid > :marker").bindparams(marker=marker[table.name])
            else:
                continue
            rows = [dict(row) for row in connection.execute(
                sa.select(table).where(condition)).mappings()]
            if rows:
                written[table.name] = rows
    engine.dispose()
    return metadata, written


def _split(engine, table, rows):
    """(inserted, updated): rows whose key the copy lacks, and rows it already has."""
    key = list(table.primary_key.columns)
    if not key:
        return rows, []
    existing = set()
    with engine.connect() as connection:
        for start in range(0, len(rows), 2000):
            chunk = [tuple(row[c.name] for c in key) for row in rows[start:start + 2000]]
            condition = (key[0].in_([k[0] for k in chunk]) if len(key) == 1
                         else sa.tuple_(*key).in_(chunk))
            existing.update(tuple(r) for r in connection.execute(sa.select(*key).where(condition)))
    inserted, updated = [], []
    for row in rows:
        (updated if tuple(row[c.name] for c in key) in existing else inserted).append(row)
    return inserted, updated


def _floor(kind, url, copy_url, marker):
    """Write the visit day's rows into the copy, one executemany per table and kind of
    write, in one transaction; returns (seconds, {table: (inserted, updated)})."""
    metadata, written = _written(url, kind, marker)
    engine = _engine(copy_url)
    plan = []
    for table in metadata.sorted_tables:  # parents before children
        rows = written.get(table.name)
        if not rows:
            continue
        if kind == "postgresql":
            inserted, updated = _split(engine, table, rows)
        else:
            inserted, updated = rows, []  # SQLite: no row versions; inserts only
        plan.append((table, inserted, updated))
    began = time.perf_counter()
    with engine.begin() as connection:
        for table, inserted, _ in plan:
            if inserted:
                connection.execute(table.insert(), inserted)
        for table, _, updated in plan:
            if not updated:
                continue
            key = list(table.primary_key.columns)
            statement = table.update().where(
                *(c == sa.bindparam(f"key_{c.name}") for c in key)
            ).values({c.name: sa.bindparam(c.name) for c in table.columns if not c.primary_key})
            connection.execute(statement, [
                {**{k: v for k, v in row.items() if k not in {c.name for c in key}},
                 **{f"key_{c.name}": row[c.name] for c in key}} for row in updated])
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, {table.name: (len(i), len(u)) for table, i, u in plan}


# --- the peer: Kinto ----------------------------------------------------------------------


KINTO_INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.postgresql
kinto.storage_url = {url}
kinto.permission_backend = kinto.core.permission.postgresql
kinto.permission_url = {url}
kinto.cache_backend = kinto.core.cache.memory
kinto.userid_hmac_secret = {secret}
multiauth.policies = basicauth
kinto.bucket_create_principals = system.Authenticated
kinto.batch_max_requests = {batch}

[loggers]
keys = root, kinto

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = WARNING
handlers = console

[logger_kinto]
level = WARNING
handlers = console
qualname = kinto
propagate = 0

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = plain

[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""


def _kinto_venv(tmpdir):
    """A throw-away venv with Kinto and its PostgreSQL driver; (bin dir, None) or
    (None, why not)."""
    venv = f"{tmpdir}/kinto-venv"
    gunicorn = importlib.metadata.version("gunicorn")  # the same as ours
    steps = [
        [sys.executable, "-m", "venv", venv],
        [f"{venv}/bin/pip", "install", "-q", "--disable-pip-version-check",
         f"kinto[postgresql]=={KINTO_VERSION}", f"gunicorn=={gunicorn}"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            lines = [line for line in (result.stderr or result.stdout).splitlines()
                     if "is ignored: it is neither" not in line]
            return None, f"{' '.join(step[:3])} … failed: {' | '.join(lines[-6:])}"
    return f"{venv}/bin", None


def _kinto_auth(username):
    token = base64.b64encode(f"{username}:{KINTO_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _kinto_request(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


@contextlib.contextmanager
def _kinto_server(bindir, ini):
    port = harness.free_port()
    with harness.serve([f"{bindir}/gunicorn", "--paste", ini, "-w", str(WORKERS), "-b",
                        f"127.0.0.1:{port}", "--log-level", "warning"],
                       f"http://127.0.0.1:{port}/v1", "/", tries=150,
                       stderr=subprocess.DEVNULL) as running:
        yield running


def _kinto_collection(phone):
    return f"v-{phone.username}"


def _kinto_push(base, phone):
    auth, latencies, errors, created = _kinto_auth(phone.username), [], [], 0
    prefix = f"/buckets/{KINTO_BUCKET}/collections/{_kinto_collection(phone)}/records/"
    for start in range(0, len(phone.visits), KINTO_BATCH):
        body = {"defaults": {"method": "PUT", "headers": {"If-None-Match": "*"}},
                "requests": [{"path": prefix + record_id, "body": {"data": data}}
                             for record_id, data in phone.visits[start:start + KINTO_BATCH]]}
        began = time.perf_counter()
        try:
            status, raw, _ = _kinto_request(base + "/batch", "POST", body, auth)
        except OSError as error:
            status, raw = None, repr(error).encode()
        latencies.append(time.perf_counter() - began)
        if status != 200:
            errors.append(_problem("batch", status, raw))
            continue
        for response in json.loads(raw)["responses"]:
            if response["status"] == 201:
                created += 1
            else:
                errors.append(f"record {response['status']}")
    return latencies, errors, created


def _kinto_pull(base, phone):
    url = (f"{base}/buckets/{KINTO_BUCKET}/collections/{_kinto_collection(phone)}/records"
           "?_limit=500")
    headers = {**_kinto_auth(phone.username), "Accept-Encoding": "gzip"}
    records, wire, gzipped, errors = 0, 0, False, []
    while url:
        status, raw, response_headers = _kinto_request(url, headers=headers)
        if status != 200:
            errors.append(_problem("pull", status, raw))
            break
        wire += len(raw)
        if response_headers.get("Content-Encoding") == "gzip":
            raw, gzipped = gzip.decompress(raw), True
        records += len(json.loads(raw)["data"])
        url = response_headers.get("Next-Page")
    return records, wire, gzipped, errors


def _kinto(tmpdir, phones, ours, kind):
    """Kinto fed the same visits of ``phones``; prints its figures beside ``ours``."""
    print(f"\n== peer: Kinto {KINTO_VERSION} on PostgreSQL, gunicorn {WORKERS} workers, "
          f"{len(phones)} villages' visits, batches of {KINTO_BATCH}, {AT_ONCE} at a time ==")
    began = time.perf_counter()
    bindir, why = _kinto_venv(tmpdir)
    if bindir is None:
        print(f"Kinto not measured: {why}")
        return None
    print(f"throw-away venv with kinto {KINTO_VERSION}: {time.perf_counter() - began:.1f} s")
    with harness.database("postgresql", tmpdir) as url:
        kinto_url = sa.make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        ini = f"{tmpdir}/kinto.ini"
        with open(ini, "w") as handle:
            handle.write(KINTO_INI.format(url=kinto_url, secret=uuid.uuid4().hex,
                                          batch=KINTO_BATCH))
        migrate = subprocess.run([f"{bindir}/kinto", "migrate", "--ini", ini],
                                 capture_output=True, text=True)
        if migrate.returncode != 0:
            print(f"Kinto not measured: kinto migrate failed: {migrate.stderr[-400:]}")
            return None
        with _kinto_server(bindir, ini) as (base, process):
            status, raw, _ = _kinto_request(
                f"{base}/buckets/{KINTO_BUCKET}", "PUT",
                {"permissions": {"collection:create": ["system.Authenticated"]}},
                _kinto_auth("county-admin"))
            if status not in (200, 201):
                print(f"Kinto not measured: bucket: {status} {raw[:200]!r}")
                return None
            for phone in phones:  # each phone owns its village's collection
                status, raw, _ = _kinto_request(
                    f"{base}/buckets/{KINTO_BUCKET}/collections/{_kinto_collection(phone)}",
                    "PUT", {}, _kinto_auth(phone.username))
                assert status in (200, 201), raw[:200]
            sent = sum(len(p.visits) for p in phones)
            print(f"before the clock: {_load()}")
            began = time.perf_counter()
            with _PeakRss(process) as rss:
                pushed = _pool(lambda phone: _kinto_push(base, phone), phones)
                push_s = time.perf_counter() - began
                latencies = [x for lat, _, _ in pushed for x in lat]
                errors = [e for _, errs, _ in pushed for e in errs]
                created = sum(c for _, _, c in pushed)
                print(f"push: {created:,} of {sent:,} records created in {push_s:.1f} s: "
                      f"{created / push_s:,.0f} records/s; {len(errors)} errors {_tally(errors)}")
                print(f"push latency per batch of {KINTO_BATCH}: {_percentiles(latencies)}")
                print(f"before the pulls: {_settled(url, 'postgresql')}{_load()}")
                rounds, pulled, wire, gzipped, pull_errors = 0, 0, 0, False, []
                began = time.perf_counter()
                while rounds < 20 and (rounds == 0 or time.perf_counter() - began < 5):
                    for records, size, zipped, errs in _pool(
                            lambda phone: _kinto_pull(base, phone), phones):
                        pulled, wire, gzipped = pulled + records, wire + size, gzipped or zipped
                        pull_errors += errs
                    rounds += 1
                pull_s = time.perf_counter() - began
                print(f"pull: every collection {rounds}× ({pulled:,} records, "
                      f"{wire / 1024 / 1024:,.1f} MB {'gzipped' if gzipped else 'not gzipped: Kinto leaves that to a proxy'}) "
                      f"in {pull_s:.1f} s: {pulled / pull_s:,.0f} records/s; "
                      f"{len(pull_errors)} errors {_tally(pull_errors)}")
                print(f"after: {_load()}")
                print(f"Kinto memory (gunicorn, {WORKERS} workers): "
                      f"{harness.rss_mb(process):.0f} MB RSS at the end, peak {rss.peak:.0f} MB")
        # Printed before the throw-away database is dropped.
        push_rps, pull_rps = created / push_s, pulled / pull_s
        print(f"\n== side by side ({kind} for us, PostgreSQL for Kinto) ==")
        print(f"push: ours {ours['push_rps']:,.0f} visits/s, Kinto {push_rps:,.0f} records/s: "
              f"{ours['push_rps'] / push_rps:.1f}× (target ≥ 5×)")
        print(f"pull: ours {ours['pull_rps']:,.0f} records/s, Kinto {pull_rps:,.0f} records/s: "
              f"{ours['pull_rps'] / pull_rps:.2f}× (target ≥ 1×)")


# --- the run ------------------------------------------------------------------------------


def run(tmpdir, kind="postgresql", workers=WORKERS, peer=None, kinto_villages=KINTO_VILLAGES,
        villages=None):
    """The visit day on ``kind``, its floor, and (PostgreSQL) the Kinto peer; prints figures.

    ``workers``: gunicorn workers of our server. ``peer``: run Kinto (default: on
    PostgreSQL only). ``kinto_villages``: how many villages' visits Kinto is fed
    (None: all). ``villages``: only that many phones take part (a quick look; the
    figures of the issue are for all 528).
    """
    run_began = time.perf_counter()
    peer = kind == "postgresql" if peer is None else peer
    day = _visit_day()
    print(f"\n== visit day {day}: every village liaison pushes the village's monthly visits, batches of "
          f"{BATCH}, {AT_ONCE} phones at a time, then pull ({kind}, gunicorn {workers} workers) ==")
    ours = {}
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        began = time.perf_counter()
        harness.flask(["seed-demo", "--scale", "county"], url)
        print(harness.seed_figure(time.perf_counter() - began))
        phones = _phones(url, day)[:villages]
        sent = sum(len(p.visits) for p in phones)
        minted = _mint_cursors(url, phones)
        before_total, _, _, _ = _visit_counts(url)
        began = time.perf_counter()
        with _copy(kind, url, tmpdir) as copy_url:
            print(f"{len(phones)} phones, {sent:,} visits to push; copy of the database for the "
                  f"floor: {time.perf_counter() - began:.1f} s")
            # Behind nginx (LIANXIN_PROXY_HOPS=1) each phone is its own address, as in the
            # field, so the per-address login limit sees 528 phones, not one bench.
            with _environment(LIANXIN_PROXY_HOPS="1"), harness.server(url, workers) as (
                    base, process):
                began, login_errors = time.perf_counter(), []
                _pool(lambda phone: _login(base, phone, login_errors), phones)
                print(f"logins (argon2, before the clock): {len(phones)} in "
                      f"{time.perf_counter() - began:.1f} s; {len(login_errors)} failed tries, "
                      f"retried {_tally(login_errors)}")
                marker = _marker(url, kind)
                print(f"before the clock: {_load()}")
                began = time.perf_counter()
                with _PeakRss(process) as rss:
                    days = _pool(lambda phone: _phone_day(base, phone), phones)
                    wall = time.perf_counter() - began
                    push_s = max(d.push_done for d in days) - began
                    rss_end = harness.rss_mb(process)
                    ours = _report_day(days, sent, wall, push_s, minted)
                    print(f"server memory (gunicorn, {workers} workers): {rss_end:.0f} MB RSS at "
                          f"the end, peak {rss.peak:.0f} MB")
                    ours["pull_rps"] = _pull_throughput(base, phones, minted, _settled(url, kind))
                    print(f"after the visit day: {_load()}")
            after_total, distinct, ours_rows, people = _visit_counts(url)
            applied = sum(d.statuses.get("applied", 0) for d in days)
            print(f"visits in database: {after_total - before_total:,} new (sent {sent:,}, applied "
                  f"{applied:,}), {after_total - distinct} duplicate ids, {ours_rows - people} "
                  f"people visited twice by the bench (expected {sent:,} new, 0, 0)")
            print(f"\n== floor: the rows the visit day wrote, one executemany per table, one "
                  f"transaction, on a copy made before the clock ({kind}) ==")
            floor_s, tables = _floor(kind, url, copy_url, marker)
            for name, (inserted, updated) in tables.items():
                print(f"  {name}: {inserted:,} inserted" + (f", {updated:,} updated" if updated else ""))
            if kind == "sqlite":
                print("  (SQLite keeps no row versions: updated rows are not in the floor)")
            print(f"floor {floor_s:.1f} s; push {push_s:.1f} s; push ÷ floor = "
                  f"{push_s / floor_s:.1f}× (target ≤ 10×)")
            # Still inside: every figure is printed before a throw-away database is dropped.
            if peer:
                sample = sorted(phones, key=lambda p: p.username)
                if kinto_villages is not None:
                    sample = sample[::max(1, len(sample) // kinto_villages)][:kinto_villages]
                _kinto(tmpdir, sample, ours, kind)
            print(f"(visit-day bench took {time.perf_counter() - run_began:.0f} s)")


def _report_day(days, sent, wall, push_s, minted):
    latencies = [x for d in days for x in d.latencies]
    statuses = {}
    for d in days:
        for status, count in d.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    errors = [e for d in days for e in d.errors]
    not_applied = sum(count for status, count in statuses.items() if status != "applied")
    pulls = [d.pull for d in days]
    print(f"visit day: {sent:,} visits from {len(days)} phones in {wall:.1f} s wall "
          f"(target ≤ 60 s): {sent / wall:,.0f} visits/s; the pushes alone done after "
          f"{push_s:.1f} s: {sent / push_s:,.0f} visits/s")
    print(f"push latency per batch of {BATCH}: {_percentiles(latencies)}")
    label = "incremental pull after the push" if minted else "first pull after the push"
    print(f"{label}, per village: "
          f"wall median {_ms(statistics.median(p['wall'] for p in pulls))}, max "
          f"{_ms(max(p['wall'] for p in pulls))}; server median "
          f"{_ms(statistics.median(p['server'] for p in pulls))}, max {_ms(max(p['server'] for p in pulls))}; "
          f"{statistics.median(p['bytes'] for p in pulls) / 1024:,.1f} KB gzipped median, "
          f"{max(p['bytes'] for p in pulls) / 1024:,.1f} KB max; "
          f"{statistics.median(p['records'] for p in pulls):,.0f} records median")
    lost = sum(d.batches_lost for d in days)
    gave_up = sum(p["gave_up"] for p in pulls)
    print(f"results {statuses}; errors {len(errors) + not_applied} "
          f"({len(errors)} failed requests, retried up to {ATTEMPTS}×; {not_applied} mutations "
          f"not applied) {_tally(errors)}; gave up: {lost} pushes, {gave_up} pulls")
    return {"push_rps": sent / push_s}


def _pull_throughput(base, phones, minted, settled=""):
    """Every phone pulls the visit day again from the same cursor, nothing else running;
    repeated for ≥ 5 s, as Kinto's pulls are (a few seconds alone would hang on noise)."""
    before = _load()
    began, rounds, pulls = time.perf_counter(), 0, []
    while rounds < 20 and (rounds == 0 or time.perf_counter() - began < 5):
        pulls += _pool(lambda phone: _pull(base, phone), phones)
        rounds += 1
    elapsed = time.perf_counter() - began
    records = sum(p["records"] for p in pulls)
    errors = [e for p in pulls for e in p["errors"]]
    gave_up = sum(p["gave_up"] for p in pulls)
    what = "the visit day again" if minted else "their whole village again"
    print(f"pull throughput (before: {settled}{before}):")
    print(f"  {len(phones)} phones pull {what} ({rounds}×), {AT_ONCE} at a "
          f"time, nothing else running: {records:,} records in {elapsed:.1f} s: {records / elapsed:,.0f} "
          f"records/s ({sum(p['bytes'] for p in pulls) / 1024 / 1024:,.1f} MB gzipped); "
          f"{len(errors)} failed requests, retried {_tally(errors)}; {gave_up} pulls gave up")
    return records / elapsed


if __name__ == "__main__":  # python -m bench.visit_day [postgresql|sqlite]
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        run(directory, *(sys.argv[1:2] or ["postgresql"]))
