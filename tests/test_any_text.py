"""Any text a client can send — lone surrogates, NUL and other controls, RTL marks,
4-byte emoji — in any string field of REST and sync: never a 5xx, and a mutation the
server cannot store is rejected alone, so it never blocks the phone's queue.

The fields are read from the schemas themselves (the sync entities' loaders, the
OpenAPI description of REST bodies and queries), not listed by hand: a new text
field is fuzzed the day it is added. Examples per case: ``LIANXIN_TEXT_EXAMPLES``
(50); ``LIANXIN_TEXT_REPORT`` names a file that receives the answers counted by status.
"""

import json
import os
import re
import uuid
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import fields
from sqlalchemy.exc import OperationalError

from server.contacts import operations as contacts
from server.extensions import db
from server.policies.operations import publish
from server.sync.entities import registry
from tests import factories
from tests.sync_helpers import Phone, new_beneficiary_data

EXAMPLES = int(os.environ.get("LIANXIN_TEXT_EXAMPLES", "50"))

# What broke phones, and what must keep working: lone surrogates (valid JSON), NUL, other
# C0 controls, DEL, BOM, RTL override and marks, a 4-byte emoji and CJK extension B.
TROUBLE = ["\ud83d", "\udc4d", "\x00", "\x07", "\x1b", "\x7f", "\ufeff", "\u202e", "\u200f",
           "\U0001f44d", "\U00020000", "\t", "\n", "\r"]
# What no text field may hold: lone surrogates, NUL, the other C0 controls but tab and breaks.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
UNSTORABLE_TEXT = "含有无法保存的字符，请删除后再提交"


def has_unstorable(value):
    return UNSTORABLE.search(value) is not None


ANY_CHARACTER = st.one_of(
    st.sampled_from(TROUBLE),
    st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp"]),  # drawn rarely among all
    st.characters(codec=None, exclude_categories=()),  # any code point at all
)
ANY_TEXT = st.text(alphabet=ANY_CHARACTER, min_size=1, max_size=12)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


ANSWERS = Counter()


@pytest.fixture(autouse=True)
def _count_answers(app, monkeypatch):
    """Every answer of this module, counted by status class; a 5xx by its code (the dead
    connection's 503 is the one expected)."""
    from flask.testing import FlaskClient

    real = FlaskClient.open

    def counted(self, *args, **kwargs):
        response = real(self, *args, **kwargs)
        status = response.status_code
        ANSWERS[str(status) if status >= 500 else f"{status // 100}xx"] += 1
        return response

    monkeypatch.setattr(FlaskClient, "open", counted)


@pytest.fixture(scope="module", autouse=True)
def _report_answers():
    yield
    report = os.environ.get("LIANXIN_TEXT_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as file:
            file.write(json.dumps(dict(ANSWERS)) + "\n")


def text_fields(schema):
    """The wire names of the text fields ``schema`` reads (UUIDs aside)."""
    return sorted(field.data_key or name for name, field in schema.load_fields.items()
                  if isinstance(field, fields.String) and not isinstance(field, fields.UUID))


def reject_or_store(result, field, value):
    """A value with an unstorable character is that field's error (this message, or the
    field's own: an ID number's format); any other is taken or refused by the field's
    rules — never a failed push."""
    assert result["status"] in ("applied", "rejected"), result
    if has_unstorable(value):
        assert result["status"] == "rejected"
        assert result["errors"][field], result


# --- sync ----------------------------------------------------------------------------------


class World:
    """The records one phone (liaison1's, village V11) builds new records on."""

    def __init__(self, county, user, today):
        self.county, self.user, self.today = county, user, today
        self.person = factories.beneficiary(county.regions["V11"], user("admin"), name="李甲",
                                          is_migrant=True, work_city="广州")
        self.case = self.person_case()
        self.card = contacts.create_card({"beneficiary_id": self.person.id}, user("admin"))
        self.policy = publish({"title": "抚恤政策", "category": "preferential",
                               "summary": "摘要", "body": "正文", "effective_on": None},
                              user("county1"))
        db.session.commit()

    def fresh_person(self, **values):
        return factories.beneficiary(self.county.regions["V11"], self.user("admin"), **values)

    def person_case(self):
        from server.mediation.operations import create_case
        return create_case({"beneficiary_id": self.person.id, "kind": "neighbour",
                            "parties": "张三与李四"}, self.user("admin"))

    def new(self, entity):
        """Data of a valid new record of ``entity``."""
        day = self.today.isoformat()
        person = str(self.person.id)
        if entity == "beneficiary":
            return new_beneficiary_data(self.county.regions["V11"])
        if entity == "health_file":  # one per person
            return {"beneficiary_id": str(self.fresh_person().id), "conditions": "高血压"}
        if entity == "contact_card":  # one per person
            migrant = self.fresh_person(is_migrant=True, work_city="广州")
            return {"beneficiary_id": str(migrant.id), "employer": "广州某厂"}
        return {
            "visit": {"beneficiary_id": person, "visit_type": "monthly", "visited_on": day,
                      "summary": "身体尚好"},
            "health_event": {"beneficiary_id": person, "kind": "hospital",
                             "occurred_on": day, "description": "住院"},
            "mediation_case": {"beneficiary_id": person, "kind": "neighbour",
                               "parties": "张三与李四"},
            "mediation_session": {"case_id": str(self.case.id), "held_on": day, "notes": "调解"},
            "contact_log": {"card_id": str(self.card.id), "contacted_on": day,
                            "channel": "phone", "notes": "电话联系"},
            "outreach_meeting": {
                "village_id": str(self.county.regions["V11"]), "held_on": day,
                "place": "村委会", "headcount": 10, "notes": "宣讲抚恤政策",
                "policies_explained": [{"id": str(self.policy.id), "title": "抚恤政策"}]},
            "opinion": {"beneficiary_id": person, "category": "suggestion", "text": "修路",
                        "collected_on": day},
        }[entity]


WRITABLE = sorted(name for name, entity in registry().items() if entity.writable)
# Entities with text the phone can change (a notification's change is only "read").
EDITABLE = sorted(name for name, entity in registry().items()
                  if entity.update_schema and text_fields(entity.update_loader()))


@pytest.fixture
def world(app, county, user, today):
    return World(county, user, today)


@pytest.fixture
def liaison(client, auth_headers):
    return auth_headers("liaison1")


def test_every_entity_the_phone_writes_is_fuzzed():
    assert set(EDITABLE) <= set(WRITABLE)  # so every one has a way to make a record
    assert WRITABLE == ["beneficiary", "contact_card", "contact_log", "health_event",
                        "health_file", "mediation_case", "mediation_session", "opinion",
                        "outreach_meeting", "visit"]


@pytest.mark.parametrize("entity", WRITABLE)
def test_any_text_in_a_new_record_rejects_that_mutation_alone(client, liaison, world, entity):
    names = text_fields(registry()[entity].create_loader())
    assert names, entity

    @FUZZ
    @given(field=st.sampled_from(names), value=ANY_TEXT)
    @example(field=names[0], value="坏\ud83d字")
    @example(field=names[-1], value="空\x00字")
    def check(field, value):
        phone = Phone(client, liaison)
        bad, good = uuid.uuid4(), uuid.uuid4()
        response = phone.push([
            phone.mutation(entity, bad, {**world.new(entity), field: value}),
            phone.mutation(entity, good, world.new(entity)),
            phone.mutation("beneficiary", world.person.id, {"address": "二组"},
                           base_version=world.person.version),
        ])
        assert response.status_code == 200, response.get_data(as_text=True)
        bad_result, good_result, later = response.json["results"]
        reject_or_store(bad_result, field, value)
        assert good_result["status"] == "applied", good_result
        assert later["status"] in ("applied", "merged"), later
        assert response.json["last_mutation_id"] == 3
        db.session.refresh(world.person)
        # the next push goes on from there
        after = phone.push([phone.mutation(entity, uuid.uuid4(), world.new(entity))])
        assert after.status_code == 200
        assert after.json["results"][0]["status"] == "applied"

    check()


@pytest.mark.parametrize("entity", EDITABLE)
def test_any_text_in_a_change_rejects_that_mutation_alone(client, liaison, world, entity):
    names = [name for name in text_fields(registry()[entity].update_loader())
             if name not in registry()[entity].immutable]
    assert names, entity
    phone = Phone(client, liaison)
    record_id = uuid.uuid4()
    created = phone.push([phone.mutation(entity, record_id, world.new(entity))])
    assert created.json["results"][0]["status"] == "applied", created.json

    @FUZZ
    @given(field=st.sampled_from(names), value=ANY_TEXT)
    @example(field=names[0], value="坏\ud83d字")
    @example(field=names[-1], value="空\x00字")
    def check(field, value):
        model = registry()[entity].model
        version = db.session.get(model, record_id).version
        response = phone.push([
            phone.mutation(entity, record_id, {field: value}, base_version=version),
            phone.mutation(entity, uuid.uuid4(), world.new(entity)),
        ])
        assert response.status_code == 200, response.get_data(as_text=True)
        changed, later = response.json["results"]
        reject_or_store(changed, field, value)
        assert later["status"] == "applied", later
        db.session.expire_all()

    check()


@FUZZ
@given(key=ANY_TEXT)
@example(key="\ud83d")
@example(key="\x00")
def test_an_unknown_field_of_any_name_is_rejected_and_answered(client, liaison, world, key):
    """The error names the field the phone sent: the answer must still encode (UTF-8)."""
    phone = Phone(client, liaison)
    response = phone.push([
        phone.mutation("beneficiary", world.person.id, {key: "x"}, base_version=1),
        phone.mutation("visit", uuid.uuid4(), world.new("visit")),
    ])
    assert response.status_code == 200
    unknown, later = response.json["results"]
    assert unknown["status"] in ("rejected", "applied", "merged")  # "id" … are ignored
    assert not any(has_unstorable(name) for name in unknown.get("errors", {}))
    assert later["status"] == "applied"
    rest = client.patch(f"/api/v1/beneficiaries/{world.person.id}", json={key: "x"},
                        headers=liaison)
    assert rest.status_code in (200, 422)
    assert not any(has_unstorable(name) for name in (rest.json.get("errors") or {}))


@pytest.mark.parametrize("envelope", [
    {"app_version": "1.0\x00"}, {"app_version": "1.0\ud83d"}, {"client_id": "abc\x00defgh"},
    {"client_id": "\ud83d" * 8}, {"outbox_size": "\x00"}, {"schema_version": "\ud83d"},
])
def test_an_envelope_with_unstorable_text_is_refused_whole(client, liaison, world, envelope):
    phone = Phone(client, liaison)
    response = phone.push([phone.mutation("visit", uuid.uuid4(), world.new("visit"))], **envelope)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == set(envelope)


@pytest.mark.parametrize("bad", ["\ud83d", "\udc4d", "\x00", "\x08", "\x1f"])
def test_the_rejection_says_which_field_and_why_in_chinese(client, liaison, world, bad):
    phone = Phone(client, liaison)
    response = phone.push([phone.mutation("visit", uuid.uuid4(),
                                          {**world.new("visit"), "summary": f"好{bad}"})])
    assert response.json["results"][0]["errors"] == {"summary": [UNSTORABLE_TEXT]}


def test_rtl_marks_emoji_and_line_breaks_are_stored_as_sent(client, liaison, world):
    text = "王\u202e德福 \U0001f44d\U00020000\t第一行\n第二行\r\n\u200f"
    phone = Phone(client, liaison)
    visit_id = uuid.uuid4()
    response = phone.push([phone.mutation("visit", visit_id,
                                          {**world.new("visit"), "summary": text})])
    assert response.json["results"][0]["status"] == "applied"
    assert client.get(f"/api/v1/visits/{visit_id}", headers=liaison).json["summary"] == text


def test_a_mutation_the_database_refuses_is_rejected_alone(client, liaison, world, monkeypatch):
    """The last line behind the schemas: whatever the driver or the database refuses in one
    mutation (here an encoding failure the schemas let through) rejects that one only."""
    entity = registry()["mediation_case"]

    def refusing(values, actor):
        if values.get("parties") == "拒收":
            "\ud83d".encode()  # what the driver raised for a lone surrogate
        return entity.create(values, actor)

    monkeypatch.setitem(registry(), "mediation_case", replace(entity, create=refusing))
    phone = Phone(client, liaison)
    response = phone.push([
        phone.mutation("mediation_case", uuid.uuid4(), {**world.new("mediation_case"),
                                                        "parties": "拒收"}),
        phone.mutation("mediation_case", uuid.uuid4(), world.new("mediation_case")),
    ])
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["rejected", "applied"]
    assert response.json["results"][0]["errors"]["_schema"]


def test_a_new_record_with_a_taken_id_is_rejected_on_the_phone_and_refused_on_rest(
        client, liaison, world, auth_headers):
    taken = str(world.person.id)
    phone = Phone(client, liaison)
    response = phone.push([
        phone.mutation("beneficiary", taken, world.new("beneficiary")),
        phone.mutation("visit", uuid.uuid4(), world.new("visit")),
    ])
    assert [r["status"] for r in response.json["results"]] == ["rejected", "applied"]
    assert response.json["results"][0]["errors"] == {"id": ["该编号已被使用"]}
    for url, body in [
        ("/api/v1/beneficiaries", {**world.new("beneficiary"), "id": taken}),
        ("/api/v1/visits", {**world.new("visit"), "id": str(world.case.id)}),  # another table's
    ]:
        rest = client.post(url, json=body, headers=auth_headers("admin"))
        assert rest.status_code < 500, rest.get_data(as_text=True)
    rest = client.post("/api/v1/beneficiaries", json={**world.new("beneficiary"), "id": taken},
                       headers=auth_headers("admin"))
    assert rest.status_code == 422
    assert rest.json["errors"] == {"id": ["该编号已被使用"]}


# --- REST ----------------------------------------------------------------------------------


def _description(client):
    return client.get("/api/v1/openapi.json").get_json()


def _resolve(description, schema):
    while "$ref" in schema:
        schema = description["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def body_text_fields(description, method, path):
    """The free-text properties of an operation's JSON body, from the OpenAPI description."""
    content = description["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = _resolve(description, content["schema"])
    return sorted(name for name, prop in schema.get("properties", {}).items()
                  if "string" in (prop.get("type") if isinstance(prop.get("type"), list)
                                  else [prop.get("type")])
                  and "format" not in prop and not prop.get("readOnly"))


def _rest_writes(world, auth_headers):
    """(method, path in the description, url, who, a valid body) for the writes fuzzed."""
    person, visit_id = world.person, uuid.uuid4()
    admin, liaison = auth_headers("admin"), auth_headers("liaison1")
    from server.visits.operations import create_visit
    create_visit({**world.new("visit"), "id": visit_id, "beneficiary_id": person.id,
                  "visited_on": world.today}, world.user("liaison1"))
    db.session.commit()
    return [
        ("post", "/api/v1/auth/login", "/api/v1/auth/login", {},
         {"username": "liaison1", "password": "wrong"}),
        ("post", "/api/v1/beneficiaries", "/api/v1/beneficiaries", liaison,
         world.new("beneficiary")),
        ("patch", "/api/v1/beneficiaries/{beneficiary_id}", f"/api/v1/beneficiaries/{person.id}",
         liaison, {}),
        ("post", "/api/v1/visits", "/api/v1/visits", liaison, world.new("visit")),
        ("patch", "/api/v1/visits/{visit_id}", f"/api/v1/visits/{visit_id}", liaison, {}),
        ("post", "/api/v1/mediation-cases", "/api/v1/mediation-cases", liaison,
         world.new("mediation_case")),
        ("post", "/api/v1/feedback/public", "/api/v1/feedback/public", {},
         {"category": "policy", "text": "请问优待金什么时候发？"}),
        ("post", "/api/v1/users", "/api/v1/users", admin,
         {"username": "newuser", "password": "Lianxin-new-2026", "role": "liaison",
          "region_id": str(world.county.regions["V11"])}),
    ]


def test_any_text_in_any_rest_write_is_never_a_server_error(client, world, auth_headers):
    description = _description(client)
    writes = _rest_writes(world, auth_headers)
    cases = [(method, url, who, body, field) for method, path, url, who, body in writes
             for field in body_text_fields(description, method, path)]
    assert len(cases) > 30  # the fields come from the description

    @FUZZ
    @given(case=st.sampled_from(cases), value=ANY_TEXT)
    @example(case=next(c for c in cases if c[1] == "/api/v1/auth/login"), value="a\ud83d")
    @example(case=next(c for c in cases if c[1] == "/api/v1/feedback/public"), value="\ud83d")
    @example(case=next(c for c in cases if c[0] == "patch"), value="\ud83d")
    @example(case=next(c for c in cases if c[1] == "/api/v1/visits"), value="坏\ud83d")
    def check(case, value):
        method, url, who, body, field = case
        response = client.open(url, method=method.upper(), json={**body, field: value},
                               headers=who)
        assert response.status_code < 500, (url, field, response.get_data(as_text=True))
        if has_unstorable(value):
            assert response.status_code == 422, (url, field, value)
            assert field in response.json["errors"], response.json
        db.session.rollback()

    check()


def test_a_card_token_of_any_text_is_never_a_server_error(client, rate_limits):
    for token in ("\ud83d", "\x00" * 32, "a" * 31 + "\ud83d"):
        response = client.post("/api/v1/feedback/public",
                               json={"category": "policy", "text": "你好", "token": token})
        assert response.status_code == 422, response.get_data(as_text=True)
        assert "token" in response.json["errors"]


def text_queries(description):
    """(path, parameter) of every GET whose query takes free text."""
    for path, operations in description["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            schema = _resolve(description, parameter.get("schema", {}))
            if parameter["in"] == "query" and schema.get("type") == "string" \
                    and "format" not in schema and "enum" not in schema:
                yield path, parameter["name"]


def test_any_text_in_any_query_is_never_a_server_error(client, auth_headers):
    description = _description(client)
    queries = sorted(text_queries(description))
    assert ("/api/v1/beneficiaries", "q") in queries
    headers = auth_headers("admin")
    # A URL carries bytes: lone surrogates cannot be sent, their UTF-8-like bytes can.
    for path, name in queries:
        for value in ("\x00", "a\x01b", "\u202e", "\U0001f44d", "%ED%A0%BD", "\ufffd"):
            url = f"{path}?{name}={value}" if value.startswith("%") else path
            response = client.get(url, query_string=None if value.startswith("%")
                                  else {name: value}, headers=headers)
            assert response.status_code < 500, (path, name, value)
            if "\x00" in value:
                assert response.status_code == 422, (path, name)


@pytest.mark.parametrize("raw", [b'{"username": "a\\ud83d", "password": "x"}',
                                 b'{"username": "a\\u0000", "password": "x"}',
                                 b"\xff\xfe{", b"{bad", b'"just a string"', b"[1]"])
def test_a_body_that_is_not_a_clean_object_is_a_problem_not_a_500(client, raw):
    response = client.post("/api/v1/auth/login", data=raw, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


# --- the connection dies mid-COPY -----------------------------------------------------------


def test_a_connection_that_dies_mid_push_answers_503_with_retry_after(
        client, liaison, world, monkeypatch):
    """The bulk write fails as a dead connection does, and so does the rollback of the
    error handler: the answer is still 503 with Retry-After, and nothing advanced."""
    from server.sync import push as push_module

    def dead(*args, **kwargs):
        raise OperationalError("COPY sync_mutation", None, Exception("server closed the connection"))

    phone = Phone(client, liaison)
    visit_id = uuid.uuid4()
    monkeypatch.setattr(push_module, "insert_rows", dead)
    session = db.session()
    real_rollback = session.rollback
    calls = []

    def failing_rollback():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", None, Exception("server closed the connection"))
        return real_rollback()

    monkeypatch.setattr(session, "rollback", failing_rollback)
    response = phone.push([phone.mutation("visit", visit_id, world.new("visit"))])
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json["code"] == "database_unavailable"
    monkeypatch.undo()
    db.session.rollback()
    from server.visits.models import Visit
    assert db.session.get(Visit, visit_id) is None


@pytest.mark.parametrize("client_id", ["abcdefgh\x00", "abcdefgh\x01", "abcdéfgh\x7f"])
def test_a_pull_with_any_client_id_header_is_never_a_server_error(client, liaison, client_id):
    """A header is no schema field: a NUL reaches PostgreSQL, which refuses it (a 422 from
    errors.py's last line; SQLite stores it). Servers in front refuse NUL in headers anyway."""
    response = client.get("/api/v1/sync/pull", headers={**liaison, "X-Client-Id": client_id})
    assert response.status_code in (200, 422), response.get_data(as_text=True)
