"""One ID-number type (server/common/idnumbers.py) and one audited reveal
(server/beneficiaries/identity.py): each operation of the type; a walk of the server's
code that finds no other way from a stored number to a full one; and an audit row with
its actor for every reveal — the REST full read, a ledger export, a conflict's secrets."""

import ast
import json
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.beneficiaries.identity import Reveal
from server.beneficiaries.models import Beneficiary
from server.common.crypto import encrypt
from server.common.idnumbers import IdNumber
from server.extensions import db
from server.records.models import AuditEntry
from server.sync.models import SyncConflict
from server.visits import operations as visits
from tests import factories
from tests.sync_helpers import Phone

SERVER = Path(__file__).resolve().parent.parent / "server"
TYPE_MODULE = "common/idnumbers.py"
REVEAL_MODULE = "beneficiaries/identity.py"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


# --- the type ----------------------------------------------------------------------------

def test_normalize_reads_full_width_digits_blanks_and_a_small_x():
    number = "51082219600504001X"
    assert IdNumber.normalize(f" {number.translate(FULL_WIDTH)} ") == number
    assert IdNumber.normalize(number.lower()) == number
    assert IdNumber(number.translate(FULL_WIDTH)) == IdNumber(number)
    assert IdNumber(number).digits == number


def test_validation_checks_shape_birth_date_and_check_digit():
    assert IdNumber.check_digit("11010519491231002") == "X"  # the standard's own example
    assert IdNumber.problem("11010519491231002X") is None
    assert IdNumber.problem("110105194912310021") == "身份证号校验位不正确"
    assert IdNumber.problem("11010519491231002") == "身份证号应为18位，前17位为数字，最后一位为数字或X"
    assert IdNumber.problem("110105194902300021") == "身份证号中的出生日期无效"
    composed = IdNumber.compose("510822", date(1970, 1, 1), 123)
    assert IdNumber.problem(composed.digits) is None
    assert (composed.birth_date, composed.sex) == (date(1970, 1, 1), "male")
    assert IdNumber.compose("510822", date(1970, 1, 1), 124).sex == "female"
    with pytest.raises(ValueError):
        IdNumber("5108")


def test_lookup_hash_is_stable_and_one_per_number(app):
    number = factories.id_number()
    digest = IdNumber(number).lookup_hash
    assert len(digest) == 64 and number not in digest
    assert IdNumber(number).lookup_hash == digest  # the same on every call
    assert IdNumber(number.translate(FULL_WIDTH)).lookup_hash == digest  # and every spelling
    assert IdNumber(factories.id_number()).lookup_hash != digest


def test_mask_shows_the_first_four_digits_only():
    number = IdNumber("11010519491231002X")
    assert number.masked == "1101**************"
    assert "0519491231002" not in repr(number) and number.masked in repr(number)


def test_encryption_round_trips_and_never_repeats(app):
    number = IdNumber(factories.id_number())
    first, second = number.encrypted, number.encrypted
    assert first != second and number.digits not in first
    assert IdNumber.from_ciphertext(first) == IdNumber.from_ciphertext(second) == number
    columns = number.stored_columns()
    assert IdNumber.from_ciphertext(columns["id_number_encrypted"]) == number
    assert (columns["id_number_hash"], columns["id_number_masked"]) == (
        number.lookup_hash, number.masked)


def test_a_conflict_value_sealed_as_json_before_still_opens(app):
    """Conflict rows stored before they kept the number's own ciphertext sealed it as JSON."""
    number = IdNumber(factories.id_number())
    assert IdNumber.from_ciphertext(encrypt(json.dumps(number.digits))) == number


# --- the code has no other way to a full number ------------------------------------------

def _modules():
    for path in sorted(SERVER.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        yield path.relative_to(SERVER).as_posix(), source, ast.parse(source)


def _calls(tree, name):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)]


def _decrypts_an_id_number(source, tree):
    """Whether the module decrypts what is an ID number: a ``decrypt(…)`` of something named
    ``id_number…``, or any decrypting at all in a module that reads the ciphertext column."""
    decrypting = _calls(tree, "decrypt")
    return any("id_number" in ast.get_source_segment(source, call) for call in decrypting) or (
        bool(decrypting) and "id_number_encrypted" in source)


def test_only_the_type_decrypts_an_id_number():
    modules = list(_modules())
    found = {name for name, source, tree in modules if _decrypts_an_id_number(source, tree)}
    assert found == {TYPE_MODULE}  # it does, so the walk sees a decrypt where there is one
    opening = {name for name, _, tree in modules if _calls(tree, "from_ciphertext")}
    assert opening - {TYPE_MODULE} == {REVEAL_MODULE}


def test_no_reveal_without_an_actor():
    unnamed = []
    for name, source, tree in _modules():
        for call in _calls(tree, "Reveal") + _calls(tree, "reveal"):
            given = [*call.args, *(k.value for k in call.keywords if k.arg == "actor")]
            if any(isinstance(arg, ast.Constant) and arg.value is None for arg in given):
                unnamed.append(f"{name}: {ast.get_source_segment(source, call)}")
    assert unnamed == []
    with pytest.raises(ValueError):
        Reveal(None, entity="beneficiary", record_id="x")


# --- every reveal is audited with its actor ----------------------------------------------

def _reads(record_id):
    return [(entry.username, entry.user_id, entry.entity) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "read_id_number",
                                 AuditEntry.record_id == str(record_id)))]


def test_the_rest_full_read_is_audited_with_its_reader(client, auth_headers, user,
                                                       dummy_beneficiary):
    response = client.get(f"/api/v1/beneficiaries/{dummy_beneficiary.id}/id-number",
                          headers=auth_headers("township1"))
    assert response.status_code == 200
    assert response.json["id_number"] == factories.stored_id_number(dummy_beneficiary)
    assert _reads(dummy_beneficiary.id) == [("township1", user("township1").id, "beneficiary")]


def test_a_ledger_with_full_numbers_is_one_audited_reveal(app, client, auth_headers, user,
                                                          dummy_beneficiary, today, tmp_path,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_EXPORT_INLINE", True)
    monkeypatch.setitem(app.config, "LIANXIN_EXPORT_DIR", str(tmp_path))
    visits.create_visit({"beneficiary_id": dummy_beneficiary.id, "visit_type": "monthly",
                         "visited_on": today, "summary": "走访情况正常"}, user("liaison1"))
    db.session.commit()
    headers = auth_headers("county1")
    fresh = client.post("/api/v1/auth/fresh", json={"password": factories.PASSWORD},
                        headers=headers)
    assert fresh.status_code == 200, fresh.json
    job = client.post("/api/v1/exports", json={"kind": "visits", "full_ids": True},
                      headers={"Authorization": f"Bearer {fresh.json['access_token']}"}).json
    assert job["status"] == "done", job
    sheet = load_workbook(BytesIO(client.get(f"/api/v1/exports/{job['job_id']}/file",
                                             headers=headers).data)).worksheets[0]
    number = factories.stored_id_number(dummy_beneficiary)
    assert [row[4].value for row in sheet.iter_rows(min_row=3)] == [number]
    assert _reads(job["job_id"]) == [("county1", user("county1").id, "export_job")]
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "read_id_number", AuditEntry.record_id == job["job_id"])).one()
    assert entry.changes["count"] == 1 and number not in str(entry.changes)


def test_a_conflicts_secrets_are_audited_with_the_officer_only(client, auth_headers, user,
                                                               dummy_beneficiary):
    staff_number, phone_number = factories.id_number(), factories.id_number()
    officer = auth_headers("township1")
    assert client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}",
                        json={"id_number": staff_number}, headers=officer).status_code == 200
    phone = Phone(client, auth_headers("liaison1"))
    pushed = phone.push([phone.mutation("beneficiary", dummy_beneficiary.id,
                                        {"id_number": phone_number}, base_version=1)])
    assert pushed.json["results"][0]["status"] == "conflict"
    # the phone's push compared and kept both numbers: nobody read one
    assert _reads(dummy_beneficiary.id) == []
    conflict = db.session.scalars(select(SyncConflict)).one()
    revealed = client.get(f"/api/v1/sync/conflicts/{conflict.id}/secrets", headers=officer)
    assert revealed.json["fields"] == {"id_number": {"mine": phone_number, "server": staff_number}}
    assert _reads(dummy_beneficiary.id) == [("township1", user("township1").id, "beneficiary")]


def test_a_phone_pushing_the_number_a_person_has_is_no_conflict(client, auth_headers,
                                                                dummy_beneficiary):
    """Compared by lookup hash: the same number in another spelling is the same number."""
    staff_number = factories.id_number()
    client.patch(f"/api/v1/beneficiaries/{dummy_beneficiary.id}",
                 json={"id_number": staff_number}, headers=auth_headers("township1"))
    phone = Phone(client, auth_headers("liaison1"))
    pushed = phone.push([phone.mutation("beneficiary", dummy_beneficiary.id,
                                        {"id_number": staff_number.translate(FULL_WIDTH)},
                                        base_version=1)])
    assert pushed.json["results"][0]["status"] == "merged"
    assert db.session.scalars(select(SyncConflict)).all() == []
    record = db.session.get(Beneficiary, dummy_beneficiary.id)
    assert factories.stored_id_number(record) == staff_number
    assert _reads(dummy_beneficiary.id) == []
