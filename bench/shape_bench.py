"""The production shape, run for real on this machine (issue #20 point 2): Debian's nginx
with the project's own site file (deploy/nginx/lianxin.conf: TLS, HTTP/2, compression,
body limits, X-Forwarded-For with LIANXIN_PROXY_HOPS=1) in front of two gunicorn "hosts"
(two ports, 2 workers each), the machine's Redis for the shared rate limits, PostgreSQL,
and the scheduler as its own process.

Through it: the visit day (every village liaison's phone, as bench/visit_day.py) — while
it runs, one app host is killed (SIGKILL, the whole process group) and started again;
phones carry on through the other, and the counts say nothing was lost or applied twice.
Then, through the same nginx with both hosts up again, Debian's Chromium
(bench/shape_browser.py): the slow-link first login of the field issue, straight to one
host and through nginx; and a liaison's offline visit synced while host 1 is down again,
stored once, seen by the reviewer. The browser comes after the day so that whatever it
meets cannot spoil the day's counts; a failure of it is printed and the run goes on.
Then the month's visit tasks job is killed mid-run and started again: it completes once.
Beside it, on a copy of the same database made before the day: the same visit day sent
straight to one gunicorn of 4 workers, as every other bench does.
"""

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from datetime import date

import sqlalchemy as sa

from . import harness, proxy, shape_browser, visit_day

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
KILL_AFTER = 8  # seconds into the visit day
DOWN_FOR = 8  # seconds the host stays down
TASK_KILL_TIMEOUT = 300  # seconds to wait for the monthly tasks job's first commit


def _env(url):
    return {**os.environ, **harness.SECRETS, "DATABASE_URL": url, "LIANXIN_PROXY_HOPS": "1",
            "LIANXIN_RATELIMIT_STORAGE_URI": REDIS, "LIANXIN_SCHEDULER": "off"}


def _host(url, port, workers=2):
    """One app host: gunicorn in a process group of its own (so a kill takes it all)."""
    return subprocess.Popen(
        [str(harness.BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "120", "server:create_app()"],
        cwd=harness.ROOT, env=_env(url), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_up(port, tries=150):
    for _ in range(tries):
        with contextlib.suppress(OSError):
            harness.request(f"http://127.0.0.1:{port}", "GET", "/api/v1/health")
            return True
        time.sleep(0.2)
    return False


def _kill(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(20)


def _flush_redis():
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def _day(base, phones, minted):
    """The visit day of ``phones`` against ``base``; returns (days, sent, wall, push_s)."""
    errors = []
    visit_day._pool(lambda phone: visit_day._login(base, phone, errors), phones)
    sent = sum(len(p.visits) for p in phones)
    began = time.perf_counter()
    days = visit_day._pool(lambda phone: visit_day._phone_day(base, phone), phones)
    wall = time.perf_counter() - began
    return days, sent, wall, max(d.push_done for d in days) - began


def _outcome(url, before_total, sent):
    total, distinct, _ours, _people = visit_day._visit_counts(url)
    new = total - before_total
    return {"new": new, "lost": sent - new if new <= sent else 0,
            "duplicates": (total - distinct) + max(0, new - sent)}


def _kill_mid_job(job, url, period):
    """Kill the tasks job once its first batches are committed (mid-run, whatever the
    machine's speed); says when, or that it finished first."""
    began = time.perf_counter()
    while time.perf_counter() - began < TASK_KILL_TIMEOUT:
        if job.poll() is not None:
            return f"never (it finished first, in {time.perf_counter() - began:.1f} s)"
        if _tasks(url, period)[0]:
            _kill(job)
            return f"{time.perf_counter() - began:.1f} s in, at its first commit"
        time.sleep(0.05)
    _kill(job)
    return f"after {TASK_KILL_TIMEOUT} s, before any commit"


def _tasks(url, period):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        made, people = connection.execute(sa.text(
            "SELECT count(*), count(DISTINCT beneficiary_id) FROM visit_task "
            "WHERE kind = 'monthly' AND period = :p AND deleted_at IS NULL"), {"p": period}).one()
        active = connection.scalar(sa.text(
            "SELECT count(*) FROM beneficiary WHERE status = 'active' AND deleted_at IS NULL"))
        runs = connection.execute(sa.text(
            "SELECT status, attempts FROM job_run WHERE job_name = 'monthly_tasks' "
            "ORDER BY scheduled_for DESC LIMIT 1")).one_or_none()
    engine.dispose()
    return made, people, active, runs


def _nginx_log(directory):
    """What nginx's error log says of a killed host so far: (requests it could not hand to
    host 1, sent to host 2 instead; requests host 1 dropped mid-answer; times host 1 was
    marked down)."""
    from pathlib import Path

    log = Path(directory, "error.log")
    text = log.read_text(errors="replace") if log.exists() else ""
    refused = text.count("connect() failed")
    dropped = sum(text.count(words) for words in (
        "prematurely closed", "reset by peer", "upstream timed out"))
    marked = text.count("is marked as down") + text.count("no live upstreams")
    return refused, dropped, marked


def _what_nginx_saw(counts, since=(0, 0, 0)):
    refused, dropped, marked = (now - then for now, then in zip(counts, since, strict=True))
    return (f"{refused} requests could not reach host 1 and went to host 2, {dropped} were "
            f"cut off mid-answer, {marked} times host 1 was marked down")


def _browser(url, conf_dir, base, hosts, ports):
    """Chromium through nginx (bench/shape_browser.py), both hosts up at first; the visit
    flow kills host 1 before the phone comes back online. A failure is printed, not
    raised: the scheduler's kill test still runs."""
    from playwright.sync_api import sync_playwright

    _flush_redis()  # the day's rate-limit counts are not the browser's
    nginx_port = int(base.rsplit(":", 1)[1])
    try:
        with sync_playwright() as playwright:
            browser = shape_browser.launch(playwright, conf_dir)
            try:
                shape_browser.slow_logins(browser, url, ports[1], nginx_port)
                since = _nginx_log(conf_dir)

                def kill_host():
                    _kill(hosts[0])

                shape_browser.visit_flow(browser, base, url, kill_host)
                print(f"  nginx meanwhile: {_what_nginx_saw(_nginx_log(conf_dir), since)}")
            finally:
                browser.close()
    except Exception as error:  # noqa: BLE001 — reported, and the run goes on
        print(f"browser through nginx: FAILED — {type(error).__name__}: "
              f"{str(error).splitlines()[0] if str(error) else ''}")


def _monthly_job(url, first):
    return subprocess.Popen(
        [str(harness.BIN / "flask"), "--app", "server", "jobs", "run-once", "monthly_tasks",
         "--at", f"{first}T00:05"], cwd=harness.ROOT, env=_env(url),
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run(tmpdir, kind="postgresql"):
    if proxy.nginx_binary() is None:
        print("\n== production shape: skipped (nginx not installed: `make browser`) ==")
        return
    day = visit_day._visit_day()
    print(f"\n== production shape: nginx (TLS, HTTP/2) → 2 app hosts × 2 workers, Redis rate "
          f"limits, PostgreSQL, the scheduler on its own; the visit day {day} ==")
    with harness.database("postgresql", tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        began = time.perf_counter()
        harness.flask(["seed-demo", "--scale", "county"], url)
        print(harness.seed_figure(time.perf_counter() - began))
        phones = visit_day._phones(url, day)
        for number, phone in enumerate(phones):  # each phone its own address, as in the field
            phone.ip = f"127.{10 + number // 250}.{number % 250}.{1 + number % 200}"
        direct_phones = visit_day._phones(url, day)
        minted = visit_day._mint_cursors(url, phones)
        visit_day._mint_cursors(url, direct_phones)
        before_total, _, _, _ = visit_day._visit_counts(url)

        # the same day straight to one gunicorn, on a copy made before it
        with visit_day._copy("postgresql", url, tmpdir) as copy_url:
            with visit_day._environment(LIANXIN_PROXY_HOPS="1"), harness.server(copy_url, 4) as (
                    base, _process):
                days, sent, wall, push_s = _day(base, direct_phones, minted)
            direct = _outcome(copy_url, before_total, sent)
        print(f"direct to one gunicorn (4 workers): {sent:,} visits in {wall:.1f} s wall, pushes "
              f"done after {push_s:.1f} s: {sent / push_s:,.0f} visits/s; "
              f"{direct['new']:,} stored, {direct['lost']} lost, {direct['duplicates']} duplicated")

        _flush_redis()
        # the photo folder the two hosts share (a mount shared by the app hosts in production)
        os.environ["LIANXIN_PHOTO_DIR"] = f"{tmpdir}/shared-photos"
        ports = [harness.free_port(), harness.free_port()]
        hosts = [_host(url, port) for port in ports]
        scheduler = subprocess.Popen(
            [str(harness.BIN / "flask"), "--app", "server", "jobs", "run"], cwd=harness.ROOT,
            env=_env(url), start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            assert all(_wait_up(port) for port in ports), "an app host did not start"
            with tempfile.TemporaryDirectory(dir=tmpdir) as conf_dir, proxy.running_nginx(
                    conf_dir, [f"127.0.0.1:{p}" for p in ports], harness.free_port(),
                    harness.free_port()) as base:
                events = []

                def kill_and_restart():
                    time.sleep(KILL_AFTER)
                    _kill(hosts[0])
                    events.append(f"host 1 killed at {KILL_AFTER} s")
                    time.sleep(DOWN_FOR)
                    hosts[0] = _host(url, ports[0])
                    up = _wait_up(ports[0])
                    events.append(f"host 1 started again at {KILL_AFTER + DOWN_FOR} s "
                                  f"({'answering' if up else 'NOT answering'})")

                killer = threading.Thread(target=kill_and_restart, daemon=True)
                killer.start()
                days, sent, wall, push_s = _day(base, phones, minted)
                killer.join()
                noticed = _what_nginx_saw(_nginx_log(conf_dir))
                shaped = _outcome(url, before_total, sent)
                errors = [e for d in days for e in d.errors]
                gave_up = sum(d.batches_lost for d in days) + sum(
                    d.pull["gave_up"] for d in days)
                print(f"through nginx, 2 hosts: {sent:,} visits in {wall:.1f} s wall, pushes "
                      f"done after {push_s:.1f} s: {sent / push_s:,.0f} visits/s; "
                      f"{'; '.join(events)}")
                print(f"  nginx: {noticed}")
                print(f"  failed requests retried by the phones: {len(errors)} "
                      f"{visit_day._tally(errors)}; gave up: {gave_up}")
                print(f"  {shaped['new']:,} stored of {sent:,} sent: {shaped['lost']} lost, "
                      f"{shaped['duplicates']} duplicated (target 0 and 0)")
                _browser(url, conf_dir, base, hosts, ports)
        finally:
            for process in hosts:
                _kill(process)
            _kill(scheduler)

        # the month's tasks job killed mid-run, then started again
        today = date.today()
        first = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        period = f"{first:%Y-%m}"
        job = _monthly_job(url, first)
        killed_after = _kill_mid_job(job, url, period)
        partial, _, active, run_row = _tasks(url, period)
        began = time.perf_counter()
        again = _monthly_job(url, first)
        output, _ = again.communicate(timeout=900)
        made, people, active, run_row = _tasks(url, period)
        print(f"monthly tasks {period}: killed {killed_after} with {partial:,} made; "
              f"started again: done in {time.perf_counter() - began:.1f} s "
              f"({output.strip().splitlines()[-1] if output.strip() else ''}); "
              f"{made:,} tasks for {people:,} people of {active:,} active "
              f"({made - people} twice, {active - people} missing; target 0 and 0); "
              f"job_run {run_row[0] if run_row else '—'}, attempt {run_row[1] if run_row else '—'}")
