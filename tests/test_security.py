"""Security properties that span the whole API (see docs/security.md)."""

import json
import os
import re
import uuid
from datetime import timedelta

import pytest
from limits.storage import Storage
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server import create_app
from server.common.timeutil import system_clock
from server.extensions import db, limiter
from server.records.audit import audit
from server.records.models import AuditEntry
from tests import factories
from tests.apps import make_config
from tests.clock import freeze

FULL_ID = re.compile(r"(?<![\d*])\d{17}[\dX](?![\d*])")


# --- audit rows: no update or delete path, not even in SQL ------------------------------------

def test_audit_rows_cannot_be_changed(app, user):
    entry = audit("login", user=user("liaison1"))
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("UPDATE audit_log SET action = 'nothing' WHERE id = :id"),
                           {"id": entry.id})
    assert db.session.get(AuditEntry, entry.id).action == "login"


def test_audit_rows_younger_than_180_days_cannot_be_deleted(app, user):
    entry = audit("read_id_number", user=user("township1"), entity="beneficiary", record_id="x")
    db.session.commit()
    with pytest.raises(DBAPIError, match="180 days"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry.id})
    assert db.session.get(AuditEntry, entry.id) is not None


def test_audit_rows_older_than_180_days_may_be_purged(app):
    # the trigger reads the database's own clock, which no app clock moves
    entry = AuditEntry(action="login", username="old", at=system_clock() - timedelta(days=200))
    db.session.add(entry)
    db.session.commit()
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry.id})
    assert db.session.scalar(text("SELECT count(*) FROM audit_log WHERE id = :id"),
                             {"id": entry.id}) == 0


# --- no list answer anywhere holds a full ID number -------------------------------------------

def _list_routes(app):
    for rule in app.url_map.iter_rules():
        if (rule.rule.startswith("/api/v1/") and "GET" in rule.methods and not rule.arguments
                and not rule.rule.endswith((".pdf", ".xlsx", "openapi.json", "/template"))):
            yield rule.rule


def test_no_list_response_contains_a_full_id_number(app, client, auth_headers, county, user):
    people = [factories.beneficiary(county.regions[v], user("admin"), is_migrant=True,
                                    work_city="广州") for v in ("V11", "V12", "V21")]
    full_numbers = {factories_number for factories_number in _full_numbers(people)}
    routes = sorted(_list_routes(app))
    assert "/api/v1/beneficiaries" in routes and "/api/v1/sync/pull" in routes
    for username in ("liaison1", "township1", "county1", "admin"):
        headers = {**auth_headers(username), "X-Client-Id": f"scan-{username}"}
        for route in routes:
            body = client.get(route, headers=headers).get_data(as_text=True)
            leaked = set(FULL_ID.findall(body)) & full_numbers
            assert not leaked, f"{route} as {username} shows a full ID number"
    # and the one request that does show it
    reveal = client.get(f"/api/v1/beneficiaries/{people[0].id}/id-number",
                        headers=auth_headers("county1"))
    assert reveal.json["id_number"] in full_numbers


def _full_numbers(people):
    return [factories.stored_id_number(person) for person in people]


# --- encrypted at rest ------------------------------------------------------------------------

def _raw_rows():
    """(table, the row's values as text) for every row of every table, read raw."""
    tables = [name for (name,) in db.session.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table'" if db.session.get_bind().dialect.name
        == "sqlite" else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
    assert len(tables) > 20
    for table in tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            yield table, " ".join(str(value) for value in row)


def _clear_copies(secrets):
    """Where any of ``secrets`` is held in clear: {(table, secret)}. JSON columns may
    hold a text with its characters escaped (``\\u75c5``): both forms are looked for."""
    forms = {secret: (secret, json.dumps(secret)[1:-1]) for secret in secrets}
    return {(table, secret) for table, raw in _raw_rows()
            for secret, written in forms.items() if any(form in raw for form in written)}


def test_id_numbers_and_health_data_are_not_stored_in_clear(app, client, auth_headers, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    number = _full_numbers([person])[0]
    response = client.put(f"/api/v1/beneficiaries/{person.id}/health-file",
                          json={"conditions": "高血压二级", "medications": "硝苯地平缓释片"},
                          headers=auth_headers("liaison1"))
    assert response.status_code == 201, response.json
    assert _clear_copies([number, "高血压二级", "硝苯地平"]) == set()


# What a visit records of someone's health, each text distinctive enough to be found
# anywhere it is copied.
VISIT_HEALTH = {
    "summary": "走访摘要脑梗后遗症康复中",
    "needs": "需要康复器械助行器",
    "actions": "已联系县医院康复科",
    "illness": "急性心肌梗死住院",
    "hospital": "县人民医院心内科",
    "treatment": "冠脉支架植入术后",
    "health": "月访健康记录血糖偏高",
    "phone_summary": "手机端摘要肺结核复查",
    "staff_summary": "工作人员摘要肝硬化随访",
}


def test_visit_health_texts_are_sealed_in_every_table(app, client, auth_headers, county, user):
    """A visit's summary, needs, actions and details (a sick visit's illness, hospital and
    treatment, a monthly visit's health notes) are not in clear in any table: not the
    visit, not the audit diffs, not sync's change log, conflicts or stored results; yet
    everyone who may read the visit reads them."""
    from datetime import timedelta

    from server.common.timeutil import county_today
    from tests.sync_helpers import Phone

    person = factories.beneficiary(county.regions["V11"], user("admin"))
    number = _full_numbers([person])[0]
    day = (county_today() - timedelta(days=1)).isoformat()
    liaison, officer = auth_headers("liaison1"), auth_headers("township1")
    sick = client.post("/api/v1/visits", headers=liaison, json={
        "beneficiary_id": str(person.id), "visit_type": "sick", "visited_on": day,
        "summary": VISIT_HEALTH["summary"], "needs": VISIT_HEALTH["needs"],
        "actions": VISIT_HEALTH["actions"],
        "details": {"illness": VISIT_HEALTH["illness"], "hospital": VISIT_HEALTH["hospital"],
                    "treatment": VISIT_HEALTH["treatment"], "aid_needed": True}})
    assert sick.status_code == 201, sick.json
    phone = Phone(client, liaison)
    monthly_id = str(uuid.uuid4())
    pushed = phone.push([phone.mutation("visit", monthly_id, {
        "beneficiary_id": str(person.id), "visit_type": "monthly", "visited_on": day,
        "summary": "例行走访", "details": {"health": VISIT_HEALTH["health"]}})])
    assert pushed.json["results"][0]["status"] == "applied", pushed.json
    # both sides change the summary from version 1: a conflict, and a stored answer
    staff = client.patch(f"/api/v1/visits/{monthly_id}", headers=officer,
                         json={"summary": VISIT_HEALTH["staff_summary"]})
    assert staff.status_code == 200, staff.json
    clash = phone.mutation("visit", monthly_id, {"summary": VISIT_HEALTH["phone_summary"]},
                           base_version=1)
    assert phone.push([clash]).json["results"][0]["status"] == "conflict"
    # and an ID-number conflict: the phone's number is kept, sealed
    client.patch(f"/api/v1/beneficiaries/{person.id}", headers=officer,
                 json={"id_number": factories.id_number()})
    phone_number = factories.id_number()
    id_clash = phone.mutation("beneficiary", person.id, {"id_number": phone_number},
                              base_version=1)
    assert phone.push([id_clash]).json["results"][0]["status"] == "conflict"
    db.session.flush()

    assert _clear_copies([*VISIT_HEALTH.values(), number, phone_number]) == set()

    # sealed, not lost: the visit, the pull, the conflict list all read the texts
    shown = client.get(f"/api/v1/visits/{sick.json['id']}", headers=officer).json
    assert (shown["summary"], shown["details"]["treatment"]) == (
        VISIT_HEALTH["summary"], VISIT_HEALTH["treatment"])
    pulled = {change["record_id"]: change["data"] for page in Phone(client, liaison).pull_all()
              for change in page["changes"] if change["entity"] == "visit"}
    assert pulled[sick.json["id"]]["details"]["illness"] == VISIT_HEALTH["illness"]
    assert pulled[monthly_id]["summary"] == VISIT_HEALTH["staff_summary"]
    listed = {c["entity"]: c["fields"] for c in
              client.get("/api/v1/sync/conflicts", headers=officer).json}
    assert listed["visit"] == {"summary": {"mine": VISIT_HEALTH["phone_summary"],
                                           "server": VISIT_HEALTH["staff_summary"]}}


def test_sealed_text_opens_only_with_its_key(app):
    """The change log's seal (AES-GCM) and the Fernet tokens stored before it both open
    under the data key, and neither opens under another."""
    from server.common import crypto

    sealed, legacy = crypto.seal_text("走访摘要肾衰竭"), crypto.encrypt("走访摘要肾衰竭")
    assert sealed.startswith(crypto.SEALED_PREFIX) and "肾衰竭" not in sealed
    assert crypto.open_text(sealed) == crypto.open_text(legacy) == "走访摘要肾衰竭"
    try:
        crypto.configure("another-key")
        for token in (sealed, legacy):
            with pytest.raises(RuntimeError, match="LIANXIN_DATA_KEY"):
                crypto.open_text(token)
    finally:
        crypto.init_app(app)


# --- headers ----------------------------------------------------------------------------------

def test_security_headers(client, auth_headers):
    api = client.get("/api/v1/auth/me", headers=auth_headers("liaison1"))
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/f/")
    policy = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy


def test_health_data_stays_encrypted_in_conflicts_and_stored_results(client, auth_headers, county, user):
    from tests.sync_helpers import Phone

    person = factories.beneficiary(county.regions["V11"], user("admin"))
    made = client.put(f"/api/v1/beneficiaries/{person.id}/health-file",
                      json={"conditions": "糖尿病"}, headers=auth_headers("township1"))
    file_id = made.json["id"]
    client.put(f"/api/v1/beneficiaries/{person.id}/health-file",
               json={"conditions": "糖尿病并发肾病"}, headers=auth_headers("township1"))
    phone = Phone(client, auth_headers("liaison1"))
    mutation = phone.mutation("health_file", file_id, {"conditions": "糖尿病合并高血压"}, base_version=1)
    answer = phone.push([mutation]).json["results"][0]
    assert answer["status"] == "conflict"
    assert answer["server"]["conditions"] == "糖尿病并发肾病"
    replay = phone.push([mutation]).json["results"][0]
    assert replay["replayed"] is True and replay["server"]["conditions"] == "糖尿病并发肾病"
    for table in ("sync_conflict", "sync_mutation"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            raw = " ".join(str(value) for value in row)
            assert "糖尿病" not in raw, f"{table} holds health data in clear"
    [listed] = client.get("/api/v1/sync/conflicts", headers=auth_headers("township1")).json
    assert listed["fields"] == {"conditions": {"mine": "糖尿病合并高血压", "server": "糖尿病并发肾病"}}
    resolved = client.post(f"/api/v1/sync/conflicts/{listed['id']}/resolve",
                           json={"choices": {"conditions": "mine"}}, headers=auth_headers("township1"))
    assert resolved.status_code == 200
    kept = client.get(f"/api/v1/beneficiaries/{person.id}/health-file", headers=auth_headers("township1"))
    assert kept.json["conditions"] == "糖尿病合并高血压"


# --- every sign-in event and every full-ID read leaves an audit row ---------------------------

def test_logins_and_full_id_reads_are_audited(client, auth_headers, county, user, monkeypatch):
    """One walk through what an auditor asks for (MLPS level 3): successful and failed
    logins, a throttled address and a refused login, logout, a password change, a full-ID read,
    an idle logout, a replayed refresh token — each a row with who, what and where from;
    no password, typed right or wrong, in any of them."""
    wrong, new_password = "Wrong-guess-77", "Xinmima-2026"
    start = db.session.scalar(select(text("max(id)")).select_from(AuditEntry)) or 0
    lan = {"environ_base": {"REMOTE_ADDR": "10.8.0.7"}}

    def login(username, password=factories.PASSWORD):
        return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **lan)

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    assert login("township1", wrong).status_code == 401                   # login_failed
    assert login("nobody-here", wrong).status_code == 401                 # login_failed, no user
    tokens = login("township1").json                                      # login
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    reveal = client.get(f"/api/v1/beneficiaries/{person.id}/id-number",
                        headers=bearer(tokens["access_token"]), **lan)    # read_id_number
    assert reveal.status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]),
                       **lan).status_code == 204                          # logout
    for _ in range(5):
        login("liaison2", wrong)                                          # 5 × login_failed, login_throttled
    assert login("liaison2").status_code == 429                           # login_refused
    changed = client.patch(f"/api/v1/users/{county.users['liaison3']}", json={"password": new_password},
                           headers=auth_headers("admin"), **lan)          # update (password)
    assert changed.status_code == 200
    first = login("liaison1").json
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]), **lan)
    assert rotated.status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]),
                       **lan).status_code == 401                          # refresh_reuse
    county_tokens = login("county1").json
    clock = freeze(monkeypatch)
    clock.advance(minutes=31)
    assert client.get("/api/v1/auth/me", headers=bearer(county_tokens["access_token"]),
                      **lan).json["code"] == "session_idle"               # idle_logout

    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.id > start, AuditEntry.action != "create")
                              .order_by(AuditEntry.id)).all()
    walked = [(row.username, row.action) for row in rows]
    assert walked == [
        ("township1", "login_failed"),
        ("nobody-here", "login_failed"),
        ("township1", "login"),
        ("township1", "read_id_number"),
        ("township1", "logout"),
        *[("liaison2", "login_failed")] * 4,
        ("liaison2", "login_failed"), ("liaison2", "login_throttled"),
        ("liaison2", "login_refused"),
        ("admin", "update"),
        ("liaison1", "login"),
        ("liaison1", "refresh_reuse"),
        ("county1", "login"),
        ("county1", "idle_logout"),
    ]
    by_action = {row.action: row for row in rows}
    assert by_action["read_id_number"].record_id == str(person.id)
    assert by_action["update"].changes == {"password": ["***", "***"]}
    assert by_action["update"].record_id == str(county.users["liaison3"])
    assert by_action["login_failed"].changes == {"failures": 5}
    assert rows[1].user_id is None and rows[1].changes == {"reason": "unknown_user", "failures": 1}
    assert by_action["login_refused"].changes == {"reason": "too_many_attempts"}
    assert all(row.ip == "10.8.0.7" for row in rows if row.username != "admin")
    for row in rows:
        raw = f"{row.changes} {row.record_id} {row.entity}"
        assert wrong not in raw and new_password not in raw and factories.PASSWORD not in raw


# --- rate limits (Flask-Limiter; storage: LIANXIN_RATELIMIT_STORAGE_URI) -----------------------

@pytest.fixture
def rate_limits():
    """Switch the shared Limiter on (the test config has it off), as in test_feedback.py."""
    def switch_on(**config):
        create_app(make_config("sqlite://", RATELIMIT_ENABLED=True, **config))
        limiter.reset()
        return limiter

    try:
        yield switch_on
    finally:
        create_app(make_config("sqlite://", RATELIMIT_ENABLED=True))  # memory:// again
        # After a test with a dead store the Limiter would keep counting in its fallback
        # until its next back-off check: start the next test on the main storage.
        limiter._storage_dead = False
        limiter.enabled = False
        limiter.reset()


def test_login_is_rate_limited_per_address(client, rate_limits):
    rate_limits()
    office = {"environ_base": {"REMOTE_ADDR": "10.9.0.1"}}
    for _ in range(20):  # 20 a minute, whatever they send
        assert client.post("/api/v1/auth/login", json={"username": "x"}, **office).status_code == 422
    refused = client.post("/api/v1/auth/login",
                          json={"username": "township1", "password": factories.PASSWORD}, **office)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["title"] == "请求过于频繁，请稍后再试"
    other = client.post("/api/v1/auth/login", json={"username": "township1", "password": factories.PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.9.0.2"})
    assert other.status_code == 200


def test_rate_limit_storage_comes_from_the_environment(monkeypatch):
    from server import config

    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        monkeypatch.setenv(name, "x" * 48)
    monkeypatch.setenv("LIANXIN_DATA_KEY", "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LXRlc3Q=")
    monkeypatch.delenv("LIANXIN_RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("LIANXIN_STAFF_IDLE_MINUTES", raising=False)
    defaults = config.from_environment()
    assert defaults["RATELIMIT_STORAGE_URI"] == "memory://"
    assert defaults["LIANXIN_STAFF_IDLE_MINUTES"] == 30
    monkeypatch.setenv("LIANXIN_RATELIMIT_STORAGE_URI", "redis://cache.internal:6379/2")
    monkeypatch.setenv("LIANXIN_STAFF_IDLE_MINUTES", "15")
    chosen = config.from_environment()
    assert chosen["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"
    assert chosen["LIANXIN_STAFF_IDLE_MINUTES"] == 15


def test_an_unknown_rate_limit_storage_stops_the_start(rate_limits):
    from limits.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        rate_limits(RATELIMIT_STORAGE_URI="nosuchstore://127.0.0.1:1")


def test_an_unreachable_store_falls_back_to_memory(client, rate_limits):
    from limits.storage import Storage

    class Unreachable(Storage):  # defining it registers its scheme with ``limits``
        """A shared store (redis, memcached) that is down."""

        STORAGE_SCHEME = ["lianxin-down"]

        @property
        def base_exceptions(self):
            return ConnectionError

        def _down(self, *args, **kwargs):
            raise ConnectionError("store down")

        incr = get = get_expiry = clear = _down

        def reset(self):
            return None

        def check(self):
            return False

    rate_limits(RATELIMIT_STORAGE_URI="lianxin-down://cache:1")
    office = {"environ_base": {"REMOTE_ADDR": "10.9.1.1"}}
    answers = [client.post("/api/v1/auth/login", json={"username": "x"}, **office).status_code
               for _ in range(21)]
    assert answers == [422] * 20 + [429]  # still limited, never a 500


# --- wrong-password throttling (server/users/throttle.py) in the same store --------------------

class _DownStore(Storage):  # defining it registers its scheme with ``limits``
    """A shared store that is down."""

    STORAGE_SCHEME = ["lianxin-throttle-down"]

    @property
    def base_exceptions(self):
        return ConnectionError

    def _down(self, *args, **kwargs):
        raise ConnectionError("store down")

    incr = get = get_expiry = clear = reset = _down

    def check(self):
        return False


def test_an_unreachable_store_still_throttles_wrong_passwords(app, client, monkeypatch):
    """The throttle counts in this process's memory while its store is down: the
    guesser is still refused after five, the real user still signs in, never a 500."""
    from server.users.throttle import LoginThrottle

    monkeypatch.setitem(app.extensions, "lianxin_login_throttle", LoginThrottle(
        "lianxin-throttle-down://cache:1", attempts=5, minutes=15, account_failures=20))
    guesser = {"environ_base": {"REMOTE_ADDR": "10.9.2.1"}}
    answers = [client.post("/api/v1/auth/login", json={"username": "liaison1", "password": "Guess-1"},
                           **guesser).status_code for _ in range(7)]
    assert answers == [401] * 5 + [429] * 2
    real = client.post("/api/v1/auth/login", json={"username": "liaison1", "password": factories.PASSWORD},
                       environ_base={"REMOTE_ADDR": "10.9.2.2"})
    assert real.status_code == 200


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis_store():
    """The Redis this machine kind runs (``TEST_REDIS_URL``, default database 13 of
    127.0.0.1:6379): that database alone is flushed before and after. When no Redis
    answers the tests skip — or fail, when ``TEST_REDIS_URL`` was given (CI)."""
    import redis

    connection = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.ConnectionError as error:
        if os.environ.get("TEST_REDIS_URL"):
            pytest.fail(f"TEST_REDIS_URL is set but no Redis answers at {TEST_REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {TEST_REDIS_URL}: {error}")
    connection.flushdb()
    try:
        yield connection
    finally:
        connection.flushdb()
        connection.close()
        create_app(make_config("sqlite://"))  # the shared Limiter back on memory://


def _two_hosts(base_app, storage_uri):
    """Two app instances on base_app's database, as two gunicorn workers or two hosts."""
    url = base_app.config["SQLALCHEMY_DATABASE_URI"]
    return [create_app(make_config(url, RATELIMIT_STORAGE_URI=storage_uri))
            for _ in range(2)]


def _guess(app, address, username="liaison2", password="Guess-123456"):
    return app.test_client().post("/api/v1/auth/login", json={
        "username": username, "password": password}, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("store", ["redis", "memory"])
def test_hosts_share_the_wrong_password_counts_through_redis(base_app, real_logins, redis_store,
                                                             store):
    """With LIANXIN_RATELIMIT_STORAGE_URI=redis://… one address guessing through two
    hosts gets five guesses in all; in memory:// each host counts on its own (the
    reason production points it at Redis)."""
    first, second = _two_hosts(base_app, TEST_REDIS_URL if store == "redis" else "memory://")
    answers = [_guess(host, "10.30.0.1").status_code for host in (first, second) * 4]
    if store == "redis":
        assert answers == [401] * 5 + [429] * 3
        assert redis_store.keys("LIMITS:LIANXIN-LOGIN/liaison2/10.30.0.1/*")
        # The real user, elsewhere, through either host.
        assert _guess(second, "10.30.0.2", password=factories.PASSWORD).status_code == 200
    else:
        assert answers == [401] * 8
        assert redis_store.keys("*") == []


def test_hosts_share_the_account_wide_slowdown_through_redis(base_app, real_logins, redis_store):
    """Twenty failures at one account, spread over two hosts and four addresses, slow
    every address down on both hosts: one attempt a minute."""
    first, second = _two_hosts(base_app, TEST_REDIS_URL)
    for number in range(4):
        host = (first, second)[number % 2]
        assert [_guess(host, f"10.31.0.{number}").status_code for _ in range(5)] == [401] * 5
    assert _guess(first, "10.31.1.1").status_code == 401  # a new address: one attempt
    slowed = _guess(second, "10.31.1.1", password=factories.PASSWORD)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) <= 60
    assert _guess(second, "10.31.1.2", password=factories.PASSWORD).status_code == 200


def test_database_errors_do_not_carry_the_values_written(app):
    """A database error is logged (server/errors.py): SQLAlchemy's message names the
    statement, and must not list the values sent with it (a visit's summary, a name)."""
    secret = "走访摘要：家中困难，需要救助"
    with pytest.raises(DBAPIError) as caught, db.session.begin_nested():
        db.session.execute(text("SELECT :v FROM no_such_table"), {"v": secret})
    assert secret not in str(caught.value)
    assert "no_such_table" in str(caught.value)


def test_a_login_does_not_hold_sqlites_write_lock_while_hashing(base_app, real_logins,
                                                                 monkeypatch):
    """argon2 takes a good tenth of a second; a login holding SQLite's write lock all
    that time made a burst of logins wait past the busy timeout (503). While the
    password is checked, another writer must get in at once."""
    import sqlite3

    import sqlalchemy as sa

    from server.users import operations

    url = sa.make_url(base_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    real, wrote = operations.password_matches, []

    def another_writer_gets_in(user, password):
        other = sqlite3.connect(url.database, timeout=0)
        try:
            other.execute("INSERT INTO sync_scope (key, seq) VALUES ('login-lock-test', 0)")
            other.execute("DELETE FROM sync_scope WHERE key = 'login-lock-test'")
            other.commit()
            wrote.append(True)
        finally:
            other.close()
        return real(user, password)

    monkeypatch.setattr(operations, "password_matches", another_writer_gets_in)
    response = base_app.test_client().post("/api/v1/auth/login", json={
        "username": "liaison2", "password": factories.PASSWORD})
    assert response.status_code == 200, response.json
    assert wrote == [True]
