"""Exactly once against a real server process: kill -9 in the middle of a push, and a lost answer.

The rest of the suite calls the app in-process, where a crash cannot happen
between a commit and its answer. Here gunicorn serves a throw-away database of
this module's own (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
migrated and holding the small test county, and a phone (bench/fault_bench.py)
pushes visits per SYNC.md, resending the same batch after any failure:

* every gunicorn process is killed with SIGKILL while a 500-visit push is being
  processed, then started again — the retry applies the batch exactly once;
* a proxy reads the server's whole answer to a push and closes the phone's
  connection instead — the retry gets the same results, ``replayed: true``.

Then the database must hold each visit once, at version 1, with one ``create``
audit row, and sync_mutation ids 1‥n once each. ``make bench`` runs the longer
fault scenarios (PostgreSQL restarts, a full disk).
"""

import threading

import pytest

from bench.fault_bench import (
    DropProxy,
    Gunicorn,
    Phone,
    committed_last_id,
    count_visits,
    login,
    verify,
)
from server.extensions import db
from server.users.models import User
from tests import factories


@pytest.fixture(scope="module")
def live(backend, databases, tmp_path_factory):
    """gunicorn (2 workers) on a committed database with the small county and 6 people in V11."""
    with databases.committed_app(backend, "faults") as app:
        url, config = app.config["SQLALCHEMY_DATABASE_URI"], app.config
        with app.app_context():
            ids = app.extensions["lianxin_test_county"]
            actor = db.session.get(User, ids.users["admin"])
            people = [str(factories.beneficiary(ids.regions["V11"], actor, name=f"测试{n}").id)
                      for n in range(6)]
            db.session.remove()
            db.engine.dispose()
        server = Gunicorn(url, tmp_path_factory.mktemp("faults"), workers=2, env={
            "SECRET_KEY": config["SECRET_KEY"], "JWT_SECRET_KEY": config["JWT_SECRET_KEY"],
            "LIANXIN_DATA_KEY": config["LIANXIN_DATA_KEY"], "LIANXIN_ACCESS_MINUTES": "30"})
        server.start()
        try:
            yield url, server, people
        finally:
            server.stop()


def _push_in_background(phone, mutations):
    box = {}

    def work():
        try:
            box["reply"], box["attempts"] = phone.push_until_acked(mutations, give_up_after=45)
        except Exception as exc:  # noqa: BLE001 - asserted below
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, box


def test_kill_9_during_a_push_then_the_retry_applies_it_exactly_once(live):
    url, server, people = live
    before = count_visits(url)
    proxy = DropProxy(server.port)
    try:
        phone = Phone(proxy.base, login(server.base, "liaison1", factories.PASSWORD), people,
                      label="test-kill")
        phone.push_until_acked(phone.visits(5))
        mutations = phone.visits(500)
        proxy.forwarded.clear()
        thread, box = _push_in_background(phone, mutations)
        assert proxy.forwarded.wait(20), "the push never reached the server"
        threading.Event().wait(0.02)  # the server is still reading and checking 500 visits
        server.kill9()
        threading.Event().wait(0.3)
        committed = committed_last_id(url, phone.client_id)
        assert committed in (5, 505), f"half a batch committed: last_mutation_id {committed}"
        server.start()
        thread.join(60)
        assert not thread.is_alive() and "error" not in box, box.get("error")
        reply, attempts = box["reply"], box["attempts"]
        assert attempts[0].kind == "network", "the kill came after the answer"
        replayed = [r.get("replayed", False) for r in reply["results"]]
        # Killed before its commit: nothing of it existed, the retry applied it afresh;
        # killed between commit and answer: the retry is answered from the stored results.
        assert replayed == [committed == 505] * 500
        assert {r["status"] for r in reply["results"]} == {"applied"}
        phone.push_until_acked(phone.visits(5))  # the phone goes on where it was
    finally:
        proxy.close()
    problems, checked = verify(url, [phone], before)
    assert problems == []
    assert checked == 510


def test_a_lost_answer_is_replayed_on_the_retry(live):
    url, server, people = live
    before = count_visits(url)
    proxy = DropProxy(server.port)
    try:
        phone = Phone(proxy.base, login(server.base, "liaison1", factories.PASSWORD), people,
                      label="test-drop")
        phone.push_until_acked(phone.visits(3))
        proxy.drop_pushes = 1
        reply, attempts = phone.push_until_acked(phone.visits(40))
        assert [a.kind for a in attempts] == ["network", "http"]
        status, lost = proxy.dropped[0]
        assert status == 200 and lost["last_mutation_id"] == 43
        assert all(r["replayed"] for r in reply["results"])
        assert [{k: v for k, v in r.items() if k != "replayed"} for r in reply["results"]] \
            == lost["results"]
        phone.push_until_acked(phone.visits(2))
    finally:
        proxy.close()
    problems, checked = verify(url, [phone], before)
    assert problems == []
    assert checked == 45
