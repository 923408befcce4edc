"""Security properties that span the whole API (see docs/security.md)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.audit.models import AuditEntry
from server.audit.operations import audit
from server.common.timeutil import utcnow
from server.extensions import db
from tests import factories

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
    entry = AuditEntry(action="login", username="old", at=utcnow() - timedelta(days=200))
    db.session.add(entry)
    db.session.commit()
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry.id})
    assert db.session.scalar(text("SELECT count(*) FROM audit_log WHERE id = :id"),
                             {"id": entry.id}) == 0


# --- no list answer anywhere holds a full ID number -------------------------------------------

def _list_routes(app):
    for rule in app.url_map.iter_rules():
        if (rule.rule.startswith("/api/v1/") and "GET" in rule.methods and not rule.arguments
                and not rule.rule.endswith((".pdf", ".xlsx", "openapi.json"))):
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
    from server.beneficiaries.operations import reveal_id_number

    return [reveal_id_number(person, actor=None) for person in people]


# --- encrypted at rest ------------------------------------------------------------------------

def test_id_numbers_and_health_data_are_not_stored_in_clear(app, client, auth_headers, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    number = _full_numbers([person])[0]
    response = client.put(f"/api/v1/beneficiaries/{person.id}/health-file",
                          json={"conditions": "高血压二级", "medications": "硝苯地平缓释片"},
                          headers=auth_headers("liaison1"))
    assert response.status_code == 201, response.json
    tables = [name for (name,) in db.session.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table'" if db.session.get_bind().dialect.name
        == "sqlite" else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
    for table in tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            raw = " ".join(str(value) for value in row)
            assert number not in raw, f"{table} holds an ID number in clear"
            assert "高血压二级" not in raw and "硝苯地平" not in raw, f"{table} holds health data in clear"


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
