"""Throw-away databases and a production-like server (gunicorn) for benchmarks."""

import contextlib
import gzip
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRETS = {
    "SECRET_KEY": "bench-secret",
    "JWT_SECRET_KEY": "bench-jwt-secret-long-enough-for-hs256-signing",
    "LIANXIN_DATA_KEY": "YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMTI=",
    "LIANXIN_ACCESS_MINUTES": "120",
}


def _psql_admin(sql):
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(sql)
    engine.dispose()


@contextlib.contextmanager
def database(kind, tmpdir):
    """A fresh, migrated database URL of ``kind`` ("postgresql" or "sqlite")."""
    if kind == "sqlite":
        url = f"sqlite:///{tmpdir}/bench-{uuid.uuid4().hex[:8]}.db"
        yield url
        return
    name = f"lianxin_bench_{uuid.uuid4().hex[:8]}"
    _psql_admin(f'CREATE DATABASE "{name}"')
    import sqlalchemy as sa

    try:
        yield sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        _psql_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(args, url, **kwargs):
    env = {**os.environ, **SECRETS, "DATABASE_URL": url}
    return subprocess.run([str(BIN / "flask"), "--app", "server", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url, workers=4):
    """gunicorn serving the app on a free loopback port; yields (base_url, process)."""
    port = free_port()
    env = {**os.environ, **SECRETS, "DATABASE_URL": url}
    with serve([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                "--log-level", "warning", "server:create_app()"],
               f"http://127.0.0.1:{port}", "/api/v1/health", cwd=ROOT, env=env) as running:
        yield running


@contextlib.contextmanager
def serve(command, base, ready_path, tries=100, **popen):
    """Run a server ``command``, wait until ``base + ready_path`` answers; yields
    (base, process) and stops it afterwards."""
    process = subprocess.Popen(command, **popen)
    try:
        for _ in range(tries):
            try:
                urllib.request.urlopen(base + ready_path, timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        process.wait(20)


def rss_mb(process):
    """Resident memory of gunicorn's master and workers together, in MB."""
    total = 0
    pids = [process.pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
        pids += [int(p) for p in children.stdout.split()]
    except FileNotFoundError:
        pass
    for pid in pids:
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


_LOOPBACK_TLS = ssl._create_unverified_context()


def request(base, method, path, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = dict(headers or {})
    if base.startswith("https://127.0.0.1"):
        return _through_loopback_proxy(base, method, path, data, token, headers)
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for key, value in headers.items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def _through_loopback_proxy(base, method, path, data, token, headers):
    """A request to the production-shape bench's nginx on this machine (its certificate
    is self-signed). A phone behind nginx sends no X-Forwarded-For: nginx writes the
    address it sees. So a phone's address (``X-Forwarded-For``, a 127.x.y.z: all of
    127/8 is this machine's) becomes the connection's own source address."""
    import http.client

    host, port = base.removeprefix("https://").split(":")
    source = headers.pop("X-Forwarded-For", None)
    connection = http.client.HTTPSConnection(
        host, int(port), timeout=120, context=_LOOPBACK_TLS,
        source_address=(source, 0) if source and source.startswith("127.") else None)
    try:
        connection.request(method, path, body=data, headers={
            "Content-Type": "application/json", **headers,
            **({"Authorization": f"Bearer {token}"} if token else {})})
        response = connection.getresponse()
        return response.status, response.read(), response.headers
    finally:
        connection.close()


def pull_all(fetch, cursor=None):
    """Pull pages until nothing more; ``fetch(path)`` answers (status, raw, headers).

    Returns {"wall", "server" (seconds, from Server-Timing), "bytes" (as sent),
    "records", "pages", "status" (of the last request; not 200: it gave up)}."""
    pages, records, wire, server_ms, status = 0, 0, 0, 0.0, None
    began = time.perf_counter()
    while True:
        path = "/api/v1/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else "")
        status, raw, headers = fetch(path)
        if status != 200:
            break
        wire += len(raw)
        timing = headers.get("Server-Timing", "app;dur=0")
        server_ms += float(timing.split("dur=")[1]) if "dur=" in timing else 0.0
        if headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw)
        pages += 1
        records += len(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    return {"wall": time.perf_counter() - began, "server": server_ms / 1000, "bytes": wire,
            "records": records, "pages": pages, "status": status}

def login(base, username, password="Lianxin-demo-2026"):
    status, body, _ = request(base, "POST", "/api/v1/auth/login",
                              {"username": username, "password": password})
    assert status == 200, body
    return json.loads(body)["access_token"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


PROBE_IDLE_SECONDS = 0.33  # the probe on this kind of machine when its host is quiet


def cpu_probe():
    """How fast this machine runs Python right now: ten million additions, timed.

    A virtual machine's cores may be slower while its host is busy (the load average
    does not show it); a figure measured while the probe is slow is not comparable."""
    began, total = time.process_time(), 0
    for number in range(10_000_000):
        total += number
    seconds = time.process_time() - began
    return f"CPU probe {seconds:.2f} s (≈ {PROBE_IDLE_SECONDS} s when the host is idle)"


SEED_TARGET_SECONDS = 60  # issue #20: seeding the county scale


def seed_figure(seconds):
    """The county seed's line, its target beside it."""
    return (f"seed county scale (528 villages, 118,000 people): {seconds:.1f} s "
            f"(target ≤ {SEED_TARGET_SECONDS} s)")
