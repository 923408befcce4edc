"""Faults during sync, against real server processes (issue #9).

A simulated phone pushes visits the way shared/docs/SYNC.md says — one
``client_id``, mutation ids 1, 2, 3 … without gaps, and after *any* failure the
same batch again until the server acknowledges it — while the bench breaks
things underneath it:

1. ``kill -9`` of every gunicorn process (master and workers) in the middle of
   a push, then a restart; the phone retries (SQLite and PostgreSQL).
2. The response lost after the server committed: a tiny TCP proxy forwards the
   push, reads the server's whole answer and closes the phone's connection
   instead of passing it on; and a phone read timeout shorter than the
   server's work. The retry must get the stored results, ``replayed: true``
   (SQLite and PostgreSQL).
3. PostgreSQL restarted mid-run — a throw-away cluster of the bench's own
   (Debian's initdb/pg_ctl on a free port), stopped once like a crash
   (``-m immediate``) and once cleanly (``-m fast``), each during a push. While
   it is down every answer must be 503 problem+json and ``/api/v1/health``
   503; afterwards the phone's retry goes through.
4. A full disk under SQLite: the database on a small tmpfs filled up to the
   last byte (``PRAGMA max_page_count`` per connection where mounting is not
   allowed). The push must answer 503/507 problem+json — no crash, nothing
   half-applied — and after space is freed the retry applies exactly once.

Then the database is checked for every phone: ``sync_client.last_mutation_id``
is the phone's, ``sync_mutation`` holds ids 1‥n exactly once with the status the
phone was told, every applied visit exists once, at version 1, with exactly one
``create`` audit row, and no other visit appeared during the scenario.

``run(tmpdir)`` prints the scenarios, the mutations checked and PASS/FAIL per
scenario, and returns True when all passed. tests/test_sync_faults.py reuses the
phone, the server process and the proxy.
"""

import contextlib
import datetime as dt
import gzip
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from . import harness

PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
NETWORK_ERRORS = (OSError, http.client.HTTPException)
FINAL = {"applied", "merged", "conflict", "rejected"}
PROBLEM = "application/problem+json"


class FaultBenchError(Exception):
    pass


# --- HTTP ----------------------------------------------------------------------------


def call(base, method, path, body=None, token=None, timeout=60.0, headers=None):
    """One request on a fresh connection -> (status, headers, body bytes, gunzipped).

    Network failures (refused, reset, closed without an answer, timeout) raise
    ``OSError`` or ``http.client.HTTPException`` — see ``NETWORK_ERRORS``.
    """
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        sent = {"Connection": "close", **(headers or {})}
        if payload is not None:
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        if response.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return response.status, response.headers, raw
    finally:
        connection.close()


def login(base, username, password="Lianxin-demo-2026", attempts=30):
    for _ in range(attempts):
        try:
            status, _, raw = call(base, "POST", "/api/v1/auth/login",
                                  {"username": username, "password": password}, timeout=30)
        except NETWORK_ERRORS:
            time.sleep(0.5)
            continue
        if status == 200:
            return json.loads(raw)["access_token"]
        if status not in (429, 503):
            raise FaultBenchError(f"login {username}: {status} {raw[:200]!r}")
        time.sleep(1)
    raise FaultBenchError(f"login {username}: no answer")


# --- the simulated phone -------------------------------------------------------------


@dataclass
class Attempt:
    """One try of one batch: a network error's name, or an HTTP status."""

    kind: str  # "network" or "http"
    detail: str
    status: int | None = None
    problem_json: bool = False
    at: float = field(default_factory=time.monotonic)


class Phone:
    """A phone's outbox, pushed per SYNC.md; every acknowledged result is kept for checks."""

    def __init__(self, base, token, people, *, client_id=None, label="fault", seed=0):
        self.base = base
        self.token = token
        self.people = list(people)
        self.client_id = client_id or f"{label}-{uuid.uuid4().hex[:12]}"
        self.next_id = 1
        self.acked = {}  # mutation id -> result as first acknowledged
        self.record_of = {}  # mutation id -> record id
        self.replayed = 0
        self.violations = []
        self.attempts = []  # every Attempt, all batches
        self._rng = random.Random(seed)

    def visits(self, count):
        """``count`` new visits, ids continuing the phone's sequence."""
        today = dt.date.today() - dt.timedelta(days=1)  # never "after today" in the county
        mutations = []
        for _ in range(count):
            record_id = str(uuid.uuid4())
            day = today - dt.timedelta(days=self._rng.randrange(0, 60))
            mutations.append({
                "id": self.next_id, "entity": "visit", "op": "upsert", "record_id": record_id,
                "base_version": None,
                "data": {"beneficiary_id": self._rng.choice(self.people), "visit_type": "monthly",
                         "visited_on": day.isoformat(),
                         "summary": f"故障测试走访 {self.client_id} #{self.next_id}：身体尚好。",
                         "needs": "无"},
                "client_time": f"{day.isoformat()}T09:30:00+08:00"})
            self.record_of[self.next_id] = record_id
            self.next_id += 1
        return mutations

    def envelope(self, mutations, outbox=None):
        return {"client_id": self.client_id, "schema_version": 1, "app_version": "fault-bench",
                "outbox_size": len(mutations) if outbox is None else outbox,
                "mutations": mutations}

    def push_until_acked(self, mutations, *, first_timeout=60.0, timeout=60.0, give_up_after=240.0,
                         on_attempt=None):
        """Send the same batch until a 200 acknowledges all of it -> (reply, attempts)."""
        body = self.envelope(mutations)
        attempts = []
        deadline = time.monotonic() + give_up_after
        pause = 0.1
        while True:
            try:
                status, headers, raw = call(self.base, "POST", "/api/v1/sync/push", body,
                                            self.token, first_timeout if not attempts else timeout)
            except NETWORK_ERRORS as exc:
                attempt = Attempt("network", type(exc).__name__)
            else:
                content_type = headers.get("Content-Type", "")
                attempt = Attempt("http", f"{status}", status, content_type.startswith(PROBLEM))
                if status == 200:
                    attempts.append(attempt)
                    self.attempts.append(attempt)
                    reply = json.loads(raw)
                    self._acknowledge(mutations, reply)
                    return reply, attempts
                if status == 409:
                    # Only a server that lost committed mutations can see a gap here.
                    self.violations.append(f"409 gap for ids from {mutations[0]['id']}: {raw[:200]!r}")
            attempts.append(attempt)
            self.attempts.append(attempt)
            if on_attempt:
                on_attempt(attempt)
            if time.monotonic() > deadline:
                raise FaultBenchError(f"batch from id {mutations[0]['id']} never acknowledged: "
                                      f"{[a.detail for a in attempts[-5:]]}")
            time.sleep(pause)
            pause = min(pause * 1.5, 1.0)

    def _acknowledge(self, mutations, reply):
        ids = [m["id"] for m in mutations]
        results = reply.get("results") or []
        if [r.get("id") for r in results] != ids:
            self.violations.append(f"results for {[r.get('id') for r in results][:5]}… "
                                   f"not the batch {ids[:5]}…")
        if reply.get("last_mutation_id", -1) < ids[-1]:
            self.violations.append(f"last_mutation_id {reply.get('last_mutation_id')} < {ids[-1]}")
        for result in results:
            if result.get("status") not in FINAL:
                self.violations.append(f"mutation {result.get('id')}: status {result.get('status')}")
            if result.get("replayed"):
                self.replayed += 1
            self.acked.setdefault(result["id"], result)


def demo_people(url, username):
    """Active beneficiaries of ``username``'s village (as strings)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT b.id FROM beneficiary b JOIN user_account u ON u.region_id = b.village_id "
                "WHERE u.username = :u AND b.deleted_at IS NULL AND b.status = 'active'"),
                {"u": username}).scalars().all()
    finally:
        engine.dispose()
    return [str(uuid.UUID(str(r))) for r in rows]


# --- checking the database -----------------------------------------------------------


def _uuid(value):
    return uuid.UUID(str(value))


def count_visits(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM visit")).scalar()
    finally:
        engine.dispose()


def committed_last_id(url, client_id):
    """The client's last_mutation_id as committed (0 when it has none yet)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            value = connection.execute(sa.text(
                "SELECT last_mutation_id FROM sync_client WHERE id = :c"), {"c": client_id}).scalar()
    finally:
        engine.dispose()
    return value or 0


def verify(url, phones, visits_before=None):
    """Exactly once, nothing acknowledged lost -> (problems, mutations checked)."""
    problems = []
    checked = 0
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            versions = {_uuid(i): v for i, v in connection.execute(
                sa.text("SELECT id, version FROM visit"))}
            creates = {}
            for record_id, count in connection.execute(sa.text(
                    "SELECT record_id, count(*) FROM audit_log "
                    "WHERE entity = 'visit' AND action = 'create' GROUP BY record_id")):
                with contextlib.suppress(ValueError, TypeError):
                    creates[_uuid(record_id)] = count
            applied_total = 0
            for phone in phones:
                problems += [f"{phone.client_id}: {v}" for v in phone.violations]
                sent = phone.next_id - 1
                if sorted(phone.acked) != list(range(1, sent + 1)):
                    problems.append(f"{phone.client_id}: acknowledged {len(phone.acked)} of {sent}")
                last = connection.execute(sa.text(
                    "SELECT last_mutation_id FROM sync_client WHERE id = :c"),
                    {"c": phone.client_id}).scalar()
                if last != sent:
                    problems.append(f"{phone.client_id}: last_mutation_id {last}, phone sent {sent}")
                stored = {m: (s, r) for m, s, r in connection.execute(sa.text(
                    "SELECT mutation_id, status, record_id FROM sync_mutation WHERE client_id = :c"),
                    {"c": phone.client_id})}
                if sorted(stored) != list(range(1, sent + 1)):
                    missing = sorted(set(range(1, sent + 1)) - set(stored))
                    extra = sorted(set(stored) - set(range(1, sent + 1)))
                    problems.append(f"{phone.client_id}: sync_mutation missing {missing[:5]} "
                                    f"extra {extra[:5]}")
                for mutation_id, result in phone.acked.items():
                    checked += 1
                    record_id = _uuid(phone.record_of[mutation_id])
                    status = result["status"]
                    if mutation_id in stored and stored[mutation_id][0] != status:
                        problems.append(f"{phone.client_id} #{mutation_id}: told {status}, "
                                        f"stored {stored[mutation_id][0]}")
                    if status == "applied":
                        applied_total += 1
                        if record_id not in versions:
                            problems.append(f"#{mutation_id} {record_id}: acknowledged, not in visit")
                        elif versions[record_id] != 1:
                            problems.append(f"#{mutation_id} {record_id}: version "
                                            f"{versions[record_id]} (applied more than once?)")
                        if creates.get(record_id, 0) != 1:
                            problems.append(f"#{mutation_id} {record_id}: "
                                            f"{creates.get(record_id, 0)} create audit rows")
                    else:
                        problems.append(f"#{mutation_id} {record_id}: {status} "
                                        f"{result.get('errors')} (the workload is all valid)")
            if visits_before is not None and len(versions) - visits_before != applied_total:
                problems.append(f"{len(versions) - visits_before} new visits, "
                                f"{applied_total} applied mutations")
    finally:
        engine.dispose()
    return problems, checked


# --- a gunicorn that can be killed ---------------------------------------------------


class Gunicorn:
    """gunicorn in its own process group on a fixed port, so it can be killed and restarted."""

    def __init__(self, url, logdir, *, name="server", workers=2, env=None, config=None, port=None):
        self.url = url
        self.port = port or harness.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, **harness.SECRETS, "DATABASE_URL": url,
                    "LIANXIN_SCHEDULER": "off", **(env or {})}
        self.config = config
        self.log_path = Path(logdir) / f"gunicorn-{name}.log"
        self.process = None
        self.starts = 0

    def start(self, timeout=90):
        args = [str(harness.BIN / "gunicorn"), "-w", str(self.workers), "-b",
                f"127.0.0.1:{self.port}", "--log-level", "warning", "--graceful-timeout", "5"]
        if self.config:
            args += ["-c", str(self.config)]
        with open(self.log_path, "a") as log:
            log.write(f"--- start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n")
            log.flush()
            self.process = subprocess.Popen([*args, "server:create_app()"], cwd=harness.ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise FaultBenchError(f"gunicorn exited with {self.process.returncode}: "
                                      f"{self.log_tail()}")
            try:
                call(self.base, "GET", "/api/v1/health", timeout=5)
                return self
            except NETWORK_ERRORS:
                time.sleep(0.1)
        raise FaultBenchError("gunicorn did not answer in time")

    def kill9(self):
        """SIGKILL to the whole process group: the master and every worker at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for _ in range(100):  # workers die with the group; wait until the port is free
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines=15):
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def errors_logged(self):
        """Unhandled errors (500s) and worker crashes the server logged."""
        with contextlib.suppress(FileNotFoundError):
            text = self.log_path.read_text(errors="replace")
            return text.count("unhandled error") + text.count("WORKER TIMEOUT")
        return 0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- a proxy that loses answers ------------------------------------------------------


class DropProxy:
    """A TCP proxy in front of the server that can lose push answers.

    Each connection carries one request (the phone sends ``Connection: close``).
    The proxy forwards it, reads the server's whole answer — so the server has
    finished and committed — and then, while ``drop_pushes`` > 0 and the request
    is a push, closes the phone's connection instead of passing the answer on.
    The lost answers are kept in ``dropped`` as (status, body); ``forwarded`` is
    set each time a push has been handed to the server in full.
    """

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.drop_pushes = 0
        self.dropped = []
        self.forwarded = threading.Event()
        self._lock = threading.Lock()
        self._closing = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._closing:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    @staticmethod
    def _read_request(connection):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            body += chunk
        return head + b"\r\n\r\n" + body

    def _handle(self, connection):
        with connection:
            try:
                request = self._read_request(connection)
                if request is None:
                    return
                is_push = request.startswith(b"POST /api/v1/sync/push ")
                with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=300) as up:
                    up.sendall(request)
                    if is_push:
                        self.forwarded.set()
                    answer = b""
                    while chunk := up.recv(65536):
                        answer += chunk
                with self._lock:
                    drop = is_push and self.drop_pushes > 0
                    if drop:
                        self.drop_pushes -= 1
                if drop:
                    self.dropped.append(_parse_answer(answer))
                    return  # closed without a byte of the answer
                connection.sendall(answer)
            except OSError:
                return

    def close(self):
        self._closing = True
        self.listener.close()


def _parse_answer(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        plain = b""
        while body:
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            plain += rest[:size]
            body = rest[size + 2:]
        body = plain
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


# --- a PostgreSQL cluster of our own -------------------------------------------------


class PgCluster:
    """A throw-away PostgreSQL cluster (Debian's binaries) on a free port, to stop and start.

    The machine's own cluster is never touched. As root the cluster runs as the
    ``postgres`` system user (initdb refuses root).
    """

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="lianxin-fault-pg-"))
        self.data = self.dir / "data"
        self.port = harness.free_port()
        self.running = False
        self.as_user = None
        if os.geteuid() == 0:
            self.as_user = "postgres"
            shutil.chown(self.dir, user=self.as_user)

    def _run(self, program, *args, check=True):
        command = [str(PG_BIN / program), *args]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        return self

    def start(self):
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c shared_buffers=32MB -c max_connections=40")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w",
                  "-t", "60", "-o", options, "start")
        self.running = True

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def url(self, database="postgres"):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name):
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def cleanup(self):
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- scenarios -----------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    problems: list = field(default_factory=list)
    checked: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def passed(self):
        return not self.problems

    def line(self):
        verdict = "PASS" if self.passed else "FAIL"
        text = f"{verdict}  {self.name}: {self.checked} mutations checked, {self.seconds:.1f} s"
        if self.notes:
            text += "\n        " + "\n        ".join(self.notes)
        for problem in self.problems[:8]:
            text += f"\n        ! {problem}"
        if len(self.problems) > 8:
            text += f"\n        ! … {len(self.problems) - 8} more"
        return text


def _push_in_thread(phone, mutations, **kwargs):
    box = {}

    def work():
        try:
            box["reply"], box["attempts"] = phone.push_until_acked(mutations, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported by the scenario
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, box


def _joined(thread, box, outcome, timeout=300):
    thread.join(timeout)
    if thread.is_alive():
        outcome.problems.append("the phone's push did not finish")
        return None
    if "error" in box:
        outcome.problems.append(f"phone: {box['error']}")
        return None
    return box


def kill_mid_push(server, url, people, *, label, rounds=3, batch=500, seed=1):
    """Scenario 1: kill -9 every gunicorn process during a push, restart, the phone retries.

    The phone talks through a pass-through proxy that says when a push has reached
    the server; the kill follows after a random part of a push's duration. A kill
    that still comes after the answer does not count, and another round is run.
    """
    outcome = Outcome(f"kill -9 mid-push, restart, retry ({label})")
    began = time.perf_counter()
    rng = random.Random(seed)
    before = count_visits(url)
    proxy = DropProxy(server.port)
    phone = Phone(proxy.base, login(server.base, "liaison1"), people, label="kill", seed=seed)
    try:
        phone.push_until_acked(phone.visits(20))
        # How long a batch takes here, so that the kills land inside the push.
        probe = phone.visits(batch)
        started = time.perf_counter()
        phone.push_until_acked(probe)
        duration = time.perf_counter() - started
        landed = {"before commit": 0, "after commit": 0, "after the answer": 0}
        for _ in range(rounds * 2):
            if landed["before commit"] + landed["after commit"] == rounds:
                break
            mutations = phone.visits(batch)
            proxy.forwarded.clear()
            thread, box = _push_in_thread(phone, mutations)
            if not proxy.forwarded.wait(30):
                outcome.problems.append("a push never reached the server")
            time.sleep(rng.uniform(0.05, 0.5) * duration)
            server.kill9()
            time.sleep(0.5)  # a database backend finishes or aborts; the phone meets refusals
            committed = committed_last_id(url, phone.client_id)
            server.start()
            box = _joined(thread, box, outcome)
            if box is None:
                continue
            if box["attempts"][0].kind != "network":
                landed["after the answer"] += 1
            elif committed >= mutations[-1]["id"]:
                landed["after commit"] += 1
            else:
                landed["before commit"] += 1
                if committed != mutations[0]["id"] - 1:
                    outcome.problems.append(f"half a batch committed: last id {committed} in "
                                            f"{mutations[0]['id']}…{mutations[-1]['id']}")
            phone.push_until_acked(phone.visits(10))  # and the phone goes on
    finally:
        proxy.close()
    outcome.problems += verify(url, [phone], before)[0]
    outcome.checked = len(phone.acked)
    kills = sum(landed.values())
    outcome.notes.append(f"{kills} kills of {batch}-visit pushes (≈{duration:.2f} s each): "
                         + ", ".join(f"{v} {k}" for k, v in landed.items())
                         + f"; {phone.replayed} results replayed")
    if landed["before commit"] + landed["after commit"] < rounds:
        outcome.problems.append(f"only {kills - landed['after the answer']} kills landed during a push")
    outcome.seconds = time.perf_counter() - began
    return outcome


def lost_answers(server, url, people, *, label, rounds=3, batch=100, seed=2):
    """Scenario 2: the answer is lost after the commit; the retry must be a replay."""
    outcome = Outcome(f"answer lost after commit, retry replays ({label})")
    began = time.perf_counter()
    before = count_visits(url)
    proxy = DropProxy(server.port)
    try:
        phone = Phone(proxy.base, login(server.base, "liaison2"), people, label="drop", seed=seed)
        phone.push_until_acked(phone.visits(10))
        for _ in range(rounds):
            mutations = phone.visits(batch)
            proxy.drop_pushes = 1
            reply, attempts = phone.push_until_acked(mutations)
            if attempts[0].kind != "network" or not proxy.dropped:
                outcome.problems.append(f"the answer was not dropped: {attempts[0].detail}")
                continue
            status, lost = proxy.dropped[-1]
            if status != 200 or lost is None:
                outcome.problems.append(f"the dropped answer was {status}")
                continue
            if not all(r.get("replayed") for r in reply["results"]):
                outcome.problems.append("the retry after a lost answer was not all replayed")
            again = [{k: v for k, v in r.items() if k != "replayed"} for r in reply["results"]]
            if again != lost["results"] or reply["last_mutation_id"] != lost["last_mutation_id"]:
                outcome.problems.append("replayed results differ from the lost ones")
        # The phone gives up reading before the server is done, and sends again.
        started = time.perf_counter()
        phone.push_until_acked(phone.visits(500))
        patience = max(0.02, (time.perf_counter() - started) / 4)
        reply, attempts = phone.push_until_acked(phone.visits(500), first_timeout=patience)
        replayed = sum(1 for r in reply["results"] if r.get("replayed"))
        if attempts[0].kind != "network":
            outcome.notes.append(f"read timeout: the server answered within {patience:.2f} s "
                                 f"({attempts[0].detail})")
        outcome.notes.append(f"{rounds} answers dropped by the proxy after commit, each retry replayed; "
                             f"read timeout {patience:.2f} s on 500 visits: {len(attempts)} attempts, "
                             f"{replayed}/500 results replayed")
        phone.push_until_acked(phone.visits(10))
        outcome.problems += verify(url, [phone], before)[0]
        outcome.checked = len(phone.acked)
    finally:
        proxy.close()
    outcome.seconds = time.perf_counter() - began
    return outcome


def postgres_restart(tmpdir, *, batch=400, seed=3):
    """Scenario 3: the database server goes away mid-run and comes back."""
    outcome = Outcome("PostgreSQL restarted mid-run: 503 while down, then recovery "
                      "(own throw-away cluster)")
    began = time.perf_counter()
    rng = random.Random(seed)
    cluster = PgCluster()
    server = None
    try:
        cluster.init()
        cluster.start()
        url = cluster.create_database("lianxin_fault")
        harness.flask(["db", "upgrade"], url, timeout=300)
        harness.flask(["seed-demo"], url, timeout=300)
        people = demo_people(url, "liaison3")
        before = count_visits(url)
        server = Gunicorn(url, tmpdir, name="pg-restart").start()
        phone = Phone(server.base, login(server.base, "liaison3"), people, label="pgdown", seed=seed)
        phone.push_until_acked(phone.visits(50))
        probe = phone.visits(batch)
        started = time.perf_counter()
        phone.push_until_acked(probe)
        duration = time.perf_counter() - started
        down_answers, health_down, health_up, in_flight, others_down = [], [], [], [], []
        for mode in ("immediate", "fast"):
            mutations = phone.visits(batch)
            thread, box = _push_in_thread(phone, mutations, on_attempt=down_answers.append)
            time.sleep(rng.uniform(0.1, 0.6) * duration)
            cluster.stop(mode)
            for _ in range(4):
                with contextlib.suppress(*NETWORK_ERRORS):
                    health_down.append(call(server.base, "GET", "/api/v1/health", timeout=10)[0])
                time.sleep(0.5)
            # Other calls a phone makes meet the same 503 problem+json.
            for method, path, body in (
                    ("GET", "/api/v1/sync/pull?limit=50", None),
                    ("POST", "/api/v1/auth/login", {"username": "liaison3",
                                                    "password": "Lianxin-demo-2026"})):
                try:
                    status, headers, _ = call(server.base, method, path, body, phone.token,
                                              timeout=10, headers={"X-Client-Id": phone.client_id})
                    others_down.append(Attempt("http", f"{path.split('?')[0]} {status}", status,
                                               headers.get("Content-Type", "").startswith(PROBLEM)))
                except NETWORK_ERRORS as exc:
                    others_down.append(Attempt("network", f"{path} {type(exc).__name__}"))
            cluster.start()
            box = _joined(thread, box, outcome)
            if box is not None:
                first = box["attempts"][0]
                in_flight.append(f"-m {mode}: the push in flight got {first.detail}")
            with contextlib.suppress(*NETWORK_ERRORS):
                health_up.append(call(server.base, "GET", "/api/v1/health", timeout=10)[0])
            phone.push_until_acked(phone.visits(20))
        statuses = sorted({a.detail for a in down_answers})
        bad = [a for a in down_answers if a.status != 503 or not a.problem_json]
        if not down_answers:
            outcome.problems.append("no push was refused while PostgreSQL was down")
        if bad:
            outcome.problems.append(f"while PostgreSQL was down: {[a.detail for a in bad][:6]} "
                                    "(expected only 503 problem+json)")
        bad = [a.detail for a in others_down if a.status != 503 or not a.problem_json]
        if bad:
            outcome.problems.append(f"pull/login while PostgreSQL was down: {bad}")
        if not health_down or any(s != 503 for s in health_down):
            outcome.problems.append(f"/api/v1/health while down answered {health_down}")
        if any(s != 200 for s in health_up):
            outcome.problems.append(f"/api/v1/health after restart answered {health_up}")
        if server.errors_logged():
            outcome.problems.append(f"{server.errors_logged()} unhandled errors in the server log")
        problems, checked = verify(url, [phone], before)
        outcome.problems += problems
        outcome.checked = checked
        outcome.notes.append(f"2 stops (-m immediate, -m fast) during {batch}-visit pushes "
                             f"(≈{duration:.2f} s each), 2 s down; " + "; ".join(in_flight))
        outcome.notes.append(f"answers while down: {len(down_answers)} × {statuses}; "
                             f"health while down {len(health_down)} × {sorted(set(health_down))}, "
                             f"after {health_up}; pull and login while down "
                             f"{sorted({a.detail for a in others_down})}; "
                             f"{phone.replayed} results replayed")
    except (FaultBenchError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        outcome.problems.append(f"{exc} {detail[-300:]}")
    finally:
        if server:
            server.stop()
        cluster.cleanup()
    outcome.seconds = time.perf_counter() - began
    return outcome


_PAGE_LIMIT_CONFIG = '''\
"""gunicorn config of the fault bench: a full SQLite database without a small filesystem.

While the file named by LIANXIN_FAULT_FULL_FLAG exists, every transaction may not
grow the database past its current size (PRAGMA max_page_count = page_count).
"""
import os

from sqlalchemy import event
from sqlalchemy.engine import Engine

FLAG = os.environ["LIANXIN_FAULT_FULL_FLAG"]


@event.listens_for(Engine, "engine_connect")
def _limit(connection):
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if os.path.exists(FLAG):
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
        raw.execute(f"PRAGMA max_page_count = {pages}")
    else:
        raw.execute("PRAGMA max_page_count = 1073741823")
'''


@contextlib.contextmanager
def _small_filesystem(size_mb, mount=True):
    """A tmpfs of ``size_mb`` MB (root only) -> its path, or None when mounting is not allowed."""
    mountpoint = Path(tempfile.mkdtemp(prefix="lianxin-fault-disk-"))
    mounted = mount and shutil.which("mount") is not None and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True).returncode == 0
    try:
        yield mountpoint if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", str(mountpoint)], capture_output=True)
        shutil.rmtree(mountpoint, ignore_errors=True)


def _fill(directory):
    """Fill the filesystem to the last byte; returns the filler's path."""
    filler = Path(directory) / "filler"
    block = b"\0" * (1 << 20)
    with open(filler, "wb", buffering=0) as handle:
        for size in (1 << 20, 1 << 12, 1):
            piece = block[:size]
            while True:
                try:
                    handle.write(piece)
                except OSError:
                    break
    return filler


def _checkpoint(path):
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _integrity(path):
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def sqlite_full_disk(tmpdir, *, batch=300, seed=4, mount=True):
    """Scenario 4: SQLite on a full disk answers an error, applies nothing, then recovers.

    ``mount=False`` simulates the full disk with ``PRAGMA max_page_count`` even as root.
    """
    outcome = Outcome("full disk under SQLite: error answer, then exactly once after space is freed")
    began = time.perf_counter()
    server = None
    with _small_filesystem(24, mount) as disk:
        try:
            if disk is not None:
                path = disk / "lianxin.db"
                how = "tmpfs of 24 MB filled to the last byte"
                config, env, flag = None, {}, None
            else:
                path = Path(tmpdir) / "full-disk.db"
                how = "no mount allowed: PRAGMA max_page_count = page_count on every connection"
                flag = Path(tmpdir) / "disk-full.flag"
                config = Path(tmpdir) / "gunicorn_full_disk.py"
                config.write_text(_PAGE_LIMIT_CONFIG)
                env = {"LIANXIN_FAULT_FULL_FLAG": str(flag)}
            url = f"sqlite:///{path}"
            harness.flask(["db", "upgrade"], url, timeout=300)
            harness.flask(["seed-demo"], url, timeout=300)
            people = demo_people(url, "liaison1")
            before = count_visits(url)
            server = Gunicorn(url, tmpdir, name="full-disk", env=env, config=config).start()
            phone = Phone(server.base, login(server.base, "liaison1"), people, label="full", seed=seed)
            phone.push_until_acked(phone.visits(20))
            # Every page the push needs must be new: empty the WAL, then take the last byte.
            _checkpoint(path)
            filler = _fill(disk) if disk is not None else None
            if flag is not None:
                flag.touch()
            mutations = phone.visits(batch)
            refused = []
            last_before = committed_last_id(url, phone.client_id)

            def free_space_after_three(attempt):
                refused.append(attempt)
                if len(refused) == 3:
                    if committed_last_id(url, phone.client_id) != last_before:
                        outcome.problems.append("a refused push left committed mutations")
                    if filler is not None:
                        filler.unlink()
                    if flag is not None:
                        flag.unlink()

            reply, attempts = phone.push_until_acked(mutations, on_attempt=free_space_after_three)
            statuses = [a.detail for a in refused]
            if not refused:
                outcome.problems.append("the push on a full disk was accepted")
            bad = [a for a in refused if a.status not in (503, 507) or not a.problem_json]
            if bad:
                outcome.problems.append(f"on a full disk the server answered {statuses} "
                                        "(expected 503/507 problem+json)")
            replayed = sum(1 for r in reply["results"] if r.get("replayed"))
            if replayed:
                outcome.problems.append(f"{replayed} results replayed: a refused push had committed")
            if server.process.poll() is not None:
                outcome.problems.append("gunicorn died")
            if server.errors_logged():
                outcome.problems.append(f"{server.errors_logged()} unhandled errors in the server log")
            phone.push_until_acked(phone.visits(20))
            server.stop()
            integrity = _integrity(path)
            if integrity != "ok":
                outcome.problems.append(f"integrity_check: {integrity}")
            problems, checked = verify(url, [phone], before)
            outcome.problems += problems
            outcome.checked = checked
            outcome.notes.append(f"{how}; {batch}-visit push refused {len(refused)}× "
                                 f"{sorted(set(statuses))}, applied once after space was freed; "
                                 f"integrity_check {integrity}")
        except (FaultBenchError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            outcome.problems.append(f"{exc} {detail[-300:]}")
        finally:
            if server:
                server.stop()
    outcome.seconds = time.perf_counter() - began
    return outcome


def _process_scenarios(kind, tmpdir):
    """Scenarios 1 and 2 on one seeded database of ``kind``."""
    outcomes = []
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url, timeout=300)
        harness.flask(["seed-demo"], url, timeout=300)
        server = Gunicorn(url, tmpdir, name=f"kill-{kind}")
        try:
            server.start()
            outcomes.append(kill_mid_push(server, url, demo_people(url, "liaison1"), label=kind))
            outcomes.append(lost_answers(server, url, demo_people(url, "liaison2"), label=kind))
            if server.errors_logged():
                outcomes[-1].problems.append(
                    f"{server.errors_logged()} unhandled errors in the server log: {server.log_tail()}")
        except (FaultBenchError, subprocess.SubprocessError) as exc:
            failed = Outcome(f"kill -9 / lost answers ({kind})")
            failed.problems.append(f"{exc} {(getattr(exc, 'stderr', '') or '')[-300:]}")
            outcomes.append(failed)
        finally:
            server.stop()
    return outcomes


def run(tmpdir):
    print("\n== sync under faults: kill -9, lost answers, PostgreSQL restart, full disk ==")
    began = time.perf_counter()
    outcomes = []
    for kind in ("sqlite", "postgresql"):
        outcomes += _process_scenarios(kind, tmpdir)
    outcomes.append(postgres_restart(tmpdir))
    outcomes.append(sqlite_full_disk(tmpdir))
    for outcome in outcomes:
        print(outcome.line())
    passed = sum(o.passed for o in outcomes)
    print(f"4 scenarios in {len(outcomes)} runs, {sum(o.checked for o in outcomes)} mutations "
          f"checked exactly once: {passed}/{len(outcomes)} PASS, "
          f"{time.perf_counter() - began:.0f} s")
    return passed == len(outcomes)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        raise SystemExit(0 if run(directory) else 1)
