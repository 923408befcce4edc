"""No missed changes under concurrent writers (SYNC.md), with real commits on PostgreSQL.

SQLite lets one writer at a time into the whole database, so a late commit
cannot be overtaken there; these tests need a server with row locks.
"""

import json
import threading
import uuid

import pytest
from sqlalchemy import delete, select

from server.beneficiaries.models import Beneficiary
from server.beneficiaries.operations import create_beneficiary
from server.extensions import db
from server.records.models import SyncChange
from server.sync.pull import encode, pull
from server.users.models import User
from server.visits.models import VisitTask
from tests import factories


@pytest.fixture
def committed(base_app):
    """Work with real commits; every beneficiary made here is removed afterwards
    (their audit rows stay, as they would in production)."""
    if base_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: no concurrent writers to test")
    made = []
    yield made
    with base_app.app_context():
        # with the month's visit task each person got at registration
        tasks = db.session.scalars(select(VisitTask.id).where(VisitTask.beneficiary_id.in_(made))).all()
        ids = [*made, *tasks]
        db.session.execute(delete(SyncChange).where(SyncChange.record_id.in_(ids)))
        # audit rows stay: the database refuses to delete them (migration 0006)
        db.session.execute(delete(VisitTask).where(VisitTask.id.in_(tasks)))
        db.session.execute(delete(Beneficiary).where(Beneficiary.id.in_(made)))
        db.session.commit()


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _create(village_key, name, county):
    values = factories.beneficiary_values(county.regions[village_key], name=name, id=uuid.uuid4())
    return create_beneficiary(values, _user("admin"))


def _pull_as(app, username, cursor=None):
    with app.app_context():
        body = json.loads(encode(pull(_user(username), None, cursor, 500)))
        db.session.remove()
    return body


def _names(body):
    return {c["data"]["name"] for c in body["changes"] if c["entity"] == "beneficiary" and c["op"] == "upsert"}


def _hold_open_writer(app, county, village_key, name, made, flushed, release, done):
    with app.app_context():
        record = _create(village_key, name, county)
        made.append(record.id)
        flushed.set()
        release.wait(30)
        db.session.commit()
        db.session.remove()
    done.set()


def test_late_commit_in_another_village_is_not_skipped(base_app, committed):
    county = base_app.extensions["lianxin_test_county"]
    start = _pull_as(base_app, "township1")
    flushed, release, done = threading.Event(), threading.Event(), threading.Event()
    first = threading.Thread(target=_hold_open_writer, args=(
        base_app, county, "V11", "先开始后提交", committed, flushed, release, done))
    first.start()
    assert flushed.wait(30)
    with base_app.app_context():  # the second writer commits while the first is open
        committed.append(_create("V12", "后开始先提交", county).id)
        db.session.commit()
        db.session.remove()
    middle = _pull_as(base_app, "township1", start["cursor"])
    assert _names(middle) == {"后开始先提交"}
    release.set()
    assert done.wait(30)
    first.join()
    after = _pull_as(base_app, "township1", middle["cursor"])
    assert _names(after) == {"先开始后提交"}


def test_late_commit_in_the_same_village_is_not_skipped(base_app, committed):
    county = base_app.extensions["lianxin_test_county"]
    start = _pull_as(base_app, "liaison1")
    flushed, release, done = threading.Event(), threading.Event(), threading.Event()
    first = threading.Thread(target=_hold_open_writer, args=(
        base_app, county, "V11", "甲", committed, flushed, release, done))
    first.start()
    assert flushed.wait(30)
    second_done = threading.Event()

    def second_writer():
        with base_app.app_context():
            committed.append(_create("V11", "乙", county).id)  # waits for the first's lock
            db.session.commit()
            db.session.remove()
        second_done.set()

    second = threading.Thread(target=second_writer)
    second.start()
    assert not second_done.wait(1), "the second writer of a village must wait for the first"
    middle = _pull_as(base_app, "liaison1", start["cursor"])
    assert _names(middle) == set()
    release.set()
    assert done.wait(30) and second_done.wait(30)
    first.join()
    second.join()
    after = _pull_as(base_app, "liaison1", middle["cursor"])
    assert _names(after) == {"甲", "乙"}


def test_a_pull_records_itself_when_another_writer_committed_meanwhile(base_app, real_logins,
                                                                       monkeypatch):
    """On SQLite a GET reads in a deferred transaction; had the pull written its
    telemetry in it, a commit by anyone else in between would fail it ("database is
    locked", 503). It writes in a transaction of its own, after the page."""
    import server.sync.pull as pull_module
    from server.records.models import SyncScope
    from server.sync.models import SyncClient
    from tests.factories import PASSWORD

    client_id = f"concurrent-{uuid.uuid4().hex[:8]}"
    real = pull_module._open

    def another_writer_commits(*args):
        found = real(*args)
        with db.engine.connect() as other:
            other.exec_driver_sql(f"INSERT INTO sync_scope (key, seq) VALUES ('{client_id}', 0)")
            other.commit()
        return found

    monkeypatch.setattr(pull_module, "_open", another_writer_commits)
    http = base_app.test_client()
    token = http.post("/api/v1/auth/login", json={"username": "liaison1", "password": PASSWORD}).json
    try:
        response = http.get("/api/v1/sync/pull", headers={
            "Authorization": f"Bearer {token['access_token']}", "X-Client-Id": client_id})
        assert response.status_code == 200, response.json
        with base_app.app_context():
            assert db.session.get(SyncClient, client_id).last_pull_at is not None
    finally:
        with base_app.app_context():
            db.session.execute(delete(SyncClient).where(SyncClient.id == client_id))
            db.session.execute(delete(SyncScope).where(SyncScope.key == client_id))
            db.session.commit()


def test_two_first_pushes_of_a_new_install_at_once(base_app, committed, monkeypatch):
    """A phone retries its first push while the first attempt is still being written:
    the second waits for the first, then is answered from its results (no 500)."""
    import server.sync.push as push_module
    from server.sync.models import SyncClient, SyncMutation

    county = base_app.extensions["lianxin_test_county"]
    client_id = f"first-{uuid.uuid4().hex[:8]}"
    record_id = uuid.uuid4()
    values = factories.beneficiary_values(county.regions["V11"], name="并发")
    envelope = {"client_id": client_id, "schema_version": 1, "app_version": "test",
                "outbox_size": 1, "mutations": [{
                    "id": 1, "entity": "beneficiary", "op": "upsert", "record_id": record_id,
                    "base_version": None, "client_time": None,
                    "data": {**values, "village_id": str(values["village_id"])}}]}
    holding, release, answers = threading.Event(), threading.Event(), {}
    real = push_module._client_for

    def slow_first(client_id, user, envelope):
        found = real(client_id, user, envelope)
        if threading.current_thread().name == "first":
            holding.set()
            release.wait(30)
        return found

    monkeypatch.setattr(push_module, "_client_for", slow_first)

    def attempt():
        with base_app.app_context():
            try:
                answers[threading.current_thread().name] = push_module.push(
                    envelope, _user("liaison1")).body
            except Exception as exc:  # noqa: BLE001 - the failure is what is checked
                db.session.rollback()
                answers[threading.current_thread().name] = exc
            db.session.remove()

    first = threading.Thread(target=attempt, name="first")
    second = threading.Thread(target=attempt, name="second")
    try:
        first.start()
        assert holding.wait(30)
        second.start()
        second.join(1)
        assert second.is_alive(), "the retry must wait for the first attempt"
        release.set()
        first.join(30)
        second.join(30)
        committed.append(record_id)
        assert answers["first"]["results"][0]["status"] == "applied"
        assert answers["second"]["results"][0] == {**answers["first"]["results"][0], "replayed": True}
    finally:
        release.set()
        with base_app.app_context():
            db.session.execute(delete(SyncMutation).where(SyncMutation.client_id == client_id))
            db.session.execute(delete(SyncClient).where(SyncClient.id == client_id))
            db.session.commit()
