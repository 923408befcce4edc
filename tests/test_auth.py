import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.records.models import AuditEntry
from server.users.models import LoginSession
from tests.clock import freeze
from tests.factories import PASSWORD


def login(client, username="liaison1", password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_tokens_and_user(client):
    response = login(client)
    assert response.status_code == 200
    body = response.json
    assert body["access_token"] and body["refresh_token"]
    assert body["user"]["username"] == "liaison1"
    assert body["user"]["role"] == "liaison"
    assert body["user"]["region"]["name"] == "一号镇甲村"


def test_me_is_the_login_user_object(client):
    tokens = login(client).json
    response = client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.json == tokens["user"]


def test_wrong_password_is_problem_json_in_chinese(client):
    response = login(client, password="nope")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "invalid_credentials"
    assert response.json["detail"] == "用户名或密码错误"


def test_missing_fields_are_reported_per_field(client):
    response = client.post("/api/v1/auth/login", json={"username": "liaison1"})
    assert response.status_code == 422
    assert response.json["errors"] == {"password": ["此项必填"]}


def at(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def login_from(client, address, username="liaison1", password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       **at(address))


def test_five_failures_refuse_that_address_for_that_account_and_are_audited(client, user):
    start = db.session.scalar(select(func.max(AuditEntry.id))) or 0
    for _ in range(5):
        assert login_from(client, "10.1.0.1", password="wrong").status_code == 401
    response = login_from(client, "10.1.0.1")  # even the right password, from there
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "too_many_attempts"
    assert response.json["detail"] == "密码错误次数过多，请 15 分钟后再试"
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    rows = db.session.scalars(select(AuditEntry).where(
        AuditEntry.username == "liaison1", AuditEntry.id > start).order_by(AuditEntry.id)).all()
    assert [row.action for row in rows] == ["login_failed"] * 5 + ["login_throttled", "login_refused"]
    assert [row.changes["failures"] for row in rows[:5]] == [1, 2, 3, 4, 5]
    assert rows[-1].changes == {"reason": "too_many_attempts"}
    # Another address, the real user's, is not affected.
    assert login_from(client, "10.1.0.2").status_code == 200


def test_a_guesser_cannot_lock_the_real_user_out(client):
    """One script, one address, guessing every liaison on visit day: after five
    guesses per account it gets 429s, and each liaison still signs in from their phone."""
    answers = {"liaison1": [], "liaison2": [], "liaison3": []}
    for _ in range(30):
        for name, seen in answers.items():
            seen.append(login_from(client, "203.0.113.9", name, "Guess-123456").status_code)
    for seen in answers.values():
        assert seen == [401] * 5 + [429] * 25  # 5 passwords tried per account, not 30
    for number, name in enumerate(answers):
        assert login_from(client, f"10.2.0.{number}", name).status_code == 200


def test_many_addresses_slow_an_account_down_but_never_lock_it(client):
    """Guessing one account from many addresses: after 20 failures in all, each
    address may try that account once a minute — the real user too, but only slowed."""
    checked = 0
    for host in range(10):
        for _ in range(10):
            status = login_from(client, f"198.51.100.{host}", password="Guess-123456").status_code
            assert status in (401, 429)
            checked += status == 401
    assert checked == 4 * 5 + 6  # 20 until the account is slowed, then one per address
    slowed = login_from(client, "198.51.100.99", password="Guess-123456")
    assert slowed.status_code == 401  # a new address: its one attempt this minute
    refused = login_from(client, "198.51.100.99")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    assert login_from(client, "10.3.0.1").status_code == 200  # the real user signs in


def test_a_signed_in_device_keeps_working_while_its_account_is_guessed(client):
    phone = login_from(client, "10.4.0.1").json
    for host in range(6):
        for _ in range(6):
            login_from(client, f"192.0.2.{host}", password="Guess-123456")
    assert login_from(client, "192.0.2.0").status_code == 429
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(phone["refresh_token"]),
                            **at("10.4.0.1"))
    assert refreshed.status_code == 200
    me = client.get("/api/v1/auth/me", headers=bearer(refreshed.json["access_token"]))
    assert me.status_code == 200


def test_a_refused_an_unknown_and_a_wrong_login_answer_alike(client):
    """The answers tell nothing about which names exist: the same attempts at a real
    and at an unknown name, side by side, get the same status, body, headers and
    Retry-After (to the second the two windows started apart), a refused right
    password included."""
    answers = {"liaison1": [], "no-such-liaison": []}
    for password in ["wrong"] * 5 + [PASSWORD, "wrong"]:
        for name, seen in answers.items():
            response = login_from(client, "10.5.0.1", name, password)
            seen.append((response.status_code, response.json, response.mimetype,
                         sorted(set(response.headers.keys()) - {"Date"}),
                         int(response.headers.get("Retry-After", 0))))
    real, unknown = answers.values()
    assert [answer[0] for answer in real] == [401] * 5 + [429] * 2
    assert [answer[:4] for answer in real] == [answer[:4] for answer in unknown]
    assert all(abs(mine[4] - theirs[4]) <= 1 for mine, theirs in zip(real, unknown, strict=True))


def test_a_refused_login_does_not_check_the_password(client, monkeypatch):
    """A refused attempt, at a real or an unknown name, hashes nothing: it takes the
    same (short) time whether the account exists."""
    from server.users import operations

    for name in ("liaison1", "no-such-liaison"):
        for _ in range(5):
            login_from(client, "10.6.0.1", name, "wrong")
    hashed = []

    class Recorder:
        def hash(self, password):
            hashed.append(password)

        def verify(self, stored, password):
            hashed.append(password)

    monkeypatch.setattr(operations, "_hasher", Recorder())
    for name in ("liaison1", "no-such-liaison"):
        assert login_from(client, "10.6.0.1", name).status_code == 429
    assert hashed == []


def test_a_right_password_clears_the_addresses_count(client):
    for _ in range(4):
        assert login_from(client, "10.7.0.1", password="wrong").status_code == 401
    assert login_from(client, "10.7.0.1").status_code == 200
    for _ in range(4):
        assert login_from(client, "10.7.0.1", password="wrong").status_code == 401
    assert login_from(client, "10.7.0.1").status_code == 200


def test_the_refusal_ends_with_its_window(app, client, monkeypatch):
    from server.users.throttle import LoginThrottle

    # A two-second window, so the test can wait for its end.
    monkeypatch.setitem(app.extensions, "lianxin_login_throttle", LoginThrottle(
        "memory://", attempts=2, minutes=2 / 60, account_failures=20))
    for _ in range(2):
        assert login_from(client, "10.8.0.1", password="wrong").status_code == 401
    assert login_from(client, "10.8.0.1").status_code == 429
    time.sleep(2.2)
    assert login_from(client, "10.8.0.1").status_code == 200


def test_refresh_rotates_and_refuses_the_old_token(client):
    tokens = login(client).json
    first = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert first.status_code == 200
    assert first.json["refresh_token"] != tokens["refresh_token"]
    again = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert again.status_code == 401
    assert again.json["code"] == "token_revoked"
    # replaying an old refresh token ends the whole session, the new pair too
    newest = client.post("/api/v1/auth/refresh", headers=bearer(first.json["refresh_token"]))
    assert newest.status_code == 401


def test_two_refreshes_with_one_token_at_once_exactly_one_succeeds(base_app, real_logins):
    """A refresh token is exchanged by one compare-and-swap: of two requests sending
    it at the same moment (real commits, two connections), one gets the new pair and
    the other is refused, every time."""
    from server.users.models import User
    from server.users.operations import start_session

    trials, outcomes = 8, []
    for _ in range(trials):
        with base_app.app_context():
            liaison = db.session.scalar(select(User).where(User.username == "liaison1"))
            _access, token = start_session(liaison)
            db.session.commit()
            db.session.remove()
        barrier, answers = threading.Barrier(2), []

        def refresh(token=token, barrier=barrier, answers=answers):
            client = base_app.test_client()
            barrier.wait()
            answers.append(client.post("/api/v1/auth/refresh", headers=bearer(token)).status_code)

        threads = [threading.Thread(target=refresh) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes.append(sorted(answers))
    assert outcomes == [[200, 401]] * trials


def test_access_token_cannot_refresh(client):
    tokens = login(client).json
    response = client.post("/api/v1/auth/refresh", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401


def test_logout_revokes_access_and_refresh(client):
    tokens = login(client).json
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    me = client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    assert me.json["code"] == "token_revoked"
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401


def test_disabling_a_user_takes_effect_on_the_next_request(client, auth_headers, user):
    headers = auth_headers("liaison1")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    user("liaison1").active = False
    db.session.commit()
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "account_disabled"


def test_region_change_takes_effect_on_the_next_request(client, auth_headers, user, county):
    headers = auth_headers("liaison1")
    user("liaison1").region_id = county.regions["V12"]
    db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).json["region"]["name"] == "一号镇乙村"


def test_disabled_user_cannot_log_in(client, user):
    user("liaison1").active = False
    db.session.commit()
    response = login(client)
    assert response.status_code == 403
    assert response.json["code"] == "account_disabled"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_bad_or_missing_tokens_are_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_expired_access_token(app, client, user):
    from flask_jwt_extended import create_access_token

    from server.users.operations import start_session

    start_session(user("liaison1"))
    token = create_access_token(identity=str(user("liaison1").id), expires_delta=timedelta(seconds=-1))
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["code"] == "token_expired"


# --- idle timeout for staff (LIANXIN_STAFF_IDLE_MINUTES, default 30) ---------------------------

@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


def session_of(access_token):
    from flask_jwt_extended import decode_token

    return db.session.get(LoginSession, uuid.UUID(decode_token(access_token)["sid"]))


def me(client, token):
    return client.get("/api/v1/auth/me", headers=bearer(token))


@pytest.mark.parametrize("username", ["township1", "county1", "admin"])
def test_a_staff_session_ends_after_30_idle_minutes(client, clock, username):
    tokens = login(client, username).json
    clock.advance(minutes=29)
    assert me(client, tokens["access_token"]).status_code == 200
    clock.advance(minutes=29)  # 58 minutes in, but only 29 since the last request
    assert me(client, tokens["access_token"]).status_code == 200
    clock.advance(minutes=30, seconds=30)
    idle = me(client, tokens["access_token"])
    assert idle.status_code == 401
    assert idle.mimetype == "application/problem+json"
    assert idle.json["code"] == "session_idle"
    assert idle.json["type"] == "urn:lianxin:problem:session_idle"
    assert idle.json["detail"] == "长时间未操作，已自动退出，请重新登录"
    assert idle.json["idle_minutes"] == 30
    # The session is over: the same token, and its refresh token, are refused from now on.
    again = me(client, tokens["access_token"])
    assert again.status_code == 401 and again.json["code"] == "token_revoked"
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401
    assert session_of(tokens["access_token"]).revoked_at == clock.now
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "idle_logout")).all()
    assert (entry.username, entry.entity, entry.changes) == (username, "login_session", {"idle_minutes": 30})
    assert entry.record_id == str(session_of(tokens["access_token"]).id)
    # A new login works at once.
    assert login(client, username).status_code == 200


def test_an_idle_refresh_is_refused_and_ends_the_session(client, clock):
    tokens = login(client, "township1").json
    clock.advance(minutes=31)  # the access token would have expired: the app refreshes
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401
    assert refreshed.json["code"] == "session_idle"
    assert session_of(tokens["access_token"]).revoked_at is not None


def test_a_refresh_counts_as_activity(client, clock):
    tokens = login(client, "township1").json
    clock.advance(minutes=20)
    pair = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).json
    clock.advance(minutes=20)
    assert me(client, pair["access_token"]).status_code == 200


def test_liaisons_are_exempt(client, clock):
    """Phones work offline for days; their refresh token ends an unused session."""
    tokens = login(client, "liaison1").json
    seen = session_of(tokens["access_token"]).last_seen_at
    clock.advance(hours=8)
    assert me(client, tokens["access_token"]).status_code == 200
    assert session_of(tokens["access_token"]).last_seen_at == seen  # not even a write
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 200
    assert session_of(tokens["access_token"]).revoked_at is None


def test_last_seen_is_written_at_most_once_a_minute(client, clock):
    tokens = login(client, "county1").json
    started = session_of(tokens["access_token"]).last_seen_at
    assert started == clock.now
    for _ in range(3):
        clock.advance(seconds=15)
        assert me(client, tokens["access_token"]).status_code == 200
    assert session_of(tokens["access_token"]).last_seen_at == started
    clock.advance(seconds=20)  # 65 s after the login
    assert me(client, tokens["access_token"]).status_code == 200
    assert session_of(tokens["access_token"]).last_seen_at == clock.now


def test_the_idle_limit_is_configurable_and_zero_switches_it_off(app, client, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_STAFF_IDLE_MINUTES", 5)
    tokens = login(client, "township1").json
    clock.advance(minutes=6)
    idle = me(client, tokens["access_token"])
    assert (idle.status_code, idle.json["code"], idle.json["idle_minutes"]) == (401, "session_idle", 5)
    monkeypatch.setitem(app.config, "LIANXIN_STAFF_IDLE_MINUTES", 0)
    tokens = login(client, "township1").json
    clock.advance(hours=3)
    assert me(client, tokens["access_token"]).status_code == 200


def test_a_role_change_to_staff_applies_the_idle_limit(client, clock, user):
    tokens = login(client, "liaison1").json
    liaison = user("liaison1")
    liaison.role = "township_officer"
    db.session.commit()
    clock.advance(minutes=31)
    assert me(client, tokens["access_token"]).json["code"] == "session_idle"


# --- a changed password ends the user's logins ------------------------------------------------

def test_a_password_change_ends_every_login_of_that_user(client, auth_headers, county):
    phone = login(client, "liaison1").json
    laptop = login(client, "liaison1").json
    other = login(client, "liaison2").json
    changed = client.patch(f"/api/v1/users/{county.users['liaison1']}",
                           json={"password": "Xinmima-2026"}, headers=auth_headers("admin"))
    assert changed.status_code == 200, changed.json
    for tokens in (phone, laptop):
        assert me(client, tokens["access_token"]).json["code"] == "token_revoked"
        assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    assert me(client, other["access_token"]).status_code == 200
    assert login(client, "liaison1").status_code == 401
    assert login(client, "liaison1", "Xinmima-2026").status_code == 200


# --- changing one's own password ------------------------------------------------------------

NEW_PASSWORD = "Qingshan-ridge-7731"


def change_password(client, access_token, current=PASSWORD, new=NEW_PASSWORD):
    return client.post("/api/v1/auth/password", headers=bearer(access_token),
                       json={"current_password": current, "new_password": new})


def test_a_user_changes_their_password_and_their_other_logins_end(client, user):
    phone = login(client, "liaison1").json
    laptop = login(client, "liaison1").json
    response = change_password(client, phone["access_token"])
    assert response.status_code == 204, response.json
    assert me(client, phone["access_token"]).status_code == 200  # this login goes on
    assert me(client, laptop["access_token"]).json["code"] == "token_revoked"
    assert login(client, "liaison1").status_code == 401
    assert login(client, "liaison1", NEW_PASSWORD).status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "password_change", AuditEntry.user_id == user("liaison1").id)).one()
    assert NEW_PASSWORD not in str(entry.changes) and PASSWORD not in str(entry.changes)
    assert entry.changes["other_sessions_ended"] == 1


def test_wrong_passwords_typed_again_slow_down_only_that_session(client, user):
    tokens = login(client, "liaison1").json
    laptop = login(client, "liaison1").json
    for _ in range(5):
        response = change_password(client, tokens["access_token"], current="nope")
        assert response.status_code == 422
        assert response.json["errors"]["current_password"] == ["密码不正确"]
    refused = change_password(client, tokens["access_token"])
    assert refused.status_code == 429 and refused.json["code"] == "too_many_attempts"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    from server.users.operations import password_matches

    assert password_matches(user("liaison1"), PASSWORD)  # nothing changed
    # The same user's other login, a new login, and this session's other requests go on.
    fresh = client.post("/api/v1/auth/fresh", json={"password": PASSWORD},
                        headers=bearer(laptop["access_token"]))
    assert fresh.status_code == 200
    assert login(client, "liaison1").status_code == 200
    assert me(client, tokens["access_token"]).status_code == 200


@pytest.mark.parametrize("new, message", [
    ("short1A", "至少"), ("password123", ""), (PASSWORD, "不能与原密码相同")])
def test_a_weak_or_unchanged_new_password_is_refused_and_nothing_changes(client, new, message):
    tokens = login(client, "liaison1").json
    response = change_password(client, tokens["access_token"], new=new)
    assert response.status_code == 422
    assert message in response.json["errors"]["new_password"][0]
    assert login(client, "liaison1").status_code == 200  # the old password still works
