from datetime import timedelta

import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.extensions import db
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


def test_five_failures_lock_the_account_and_both_are_audited(client, user):
    for _ in range(5):
        assert login(client, password="wrong").status_code == 401
    response = login(client)  # even the right password is refused now
    assert response.status_code == 423
    assert response.json["code"] == "account_locked"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.username == "liaison1")
    ).all()
    assert actions.count("login_failed") == 5
    assert "account_locked" in actions
    assert user("liaison1").locked_until is not None


def test_lock_expires(client, user):
    for _ in range(5):
        login(client, password="wrong")
    liaison = user("liaison1")
    liaison.locked_until = liaison.locked_until - timedelta(minutes=16)
    db.session.commit()
    assert login(client).status_code == 200


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
