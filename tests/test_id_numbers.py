"""ID numbers and phones as typed (NFKC), and what "该身份证号已登记" may tell whom."""

import json
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from server import create_app
from server.beneficiaries.models import Beneficiary
from server.common.idnumbers import IdNumber
from server.extensions import db
from server.records.models import AuditEntry, SyncChange
from server.users.models import User
from tests import factories
from tests.apps import make_config
from tests.sync_helpers import Phone, new_beneficiary_data

URL = "/api/v1/beneficiaries"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
LIMITED = "id_number_checks_exhausted"


def post(client, headers, village_id, **overrides):
    values = factories.beneficiary_values(str(village_id), **overrides)
    return client.post(URL, json=values, headers=headers)


def taken_rows(user_id):
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "id_number_taken", AuditEntry.user_id == user_id)).all()


def test_full_width_digits_are_the_same_number(client, auth_headers, county):
    headers = auth_headers("liaison1")
    number = factories.id_number()
    first = post(client, headers, county.regions["V11"], id_number=number.translate(FULL_WIDTH))
    assert first.status_code == 201, first.json
    stored = db.session.get(Beneficiary, uuid.UUID(first.json["id"]))
    assert factories.stored_id_number(stored) == number
    assert first.json["id_number"] == IdNumber(number).masked
    again = post(client, headers, county.regions["V11"], id_number=number)
    assert again.status_code == 422
    assert again.json["errors"]["id_number"] == ["该身份证号已登记"]
    assert IdNumber.normalize(" ５１０８２２１９６００５０４００１Ｘ ") == "51082219600504001X"


def test_full_width_phone_is_stored_as_digits(client, auth_headers, county):
    response = post(client, auth_headers("liaison1"), county.regions["V11"],
                    phone="１３８００１３８０００")
    assert response.status_code == 201, response.json
    assert response.json["phone"] == "13800138000"
    landline = post(client, auth_headers("liaison1"), county.regions["V11"],
                    phone="０８１７－１２３４５６７")
    assert landline.json["phone"] == "0817-1234567"


def test_a_taken_number_is_audited_with_the_actor(client, auth_headers, county, user):
    elsewhere = factories.beneficiary(county.regions["V21"], user("admin"), name="赵其他")
    number = factories.stored_id_number(elsewhere)
    response = post(client, auth_headers("liaison1"), county.regions["V11"], id_number=number)
    assert response.status_code == 422
    assert response.json["errors"]["id_number"] == ["该身份证号已登记"]
    rows = taken_rows(user("liaison1").id)
    assert [(r.entity, r.record_id, r.username) for r in rows] == [
        ("beneficiary", str(elsewhere.id), "liaison1")]
    assert number not in json.dumps(rows[0].changes)


def test_a_retried_create_is_its_own_id_not_a_taken_number(client, auth_headers, county, user):
    """The same create sent again (a lost answer) names its id: "already used", neither
    "已登记" nor a count against the user's bound."""
    values = {"id": str(uuid.uuid4()), "id_number": factories.id_number()}
    headers = auth_headers("liaison1")
    assert post(client, headers, county.regions["V11"], **values).status_code == 201
    again = post(client, headers, county.regions["V11"], **values)
    assert again.status_code == 422
    assert again.json["errors"] == {"id": ["该编号已被使用"]}
    assert taken_rows(user("liaison1").id) == []


def test_taken_answers_are_bounded_per_user(app, client, auth_headers, county, user):
    limit = app.config["LIANXIN_ID_TAKEN_LIMIT"]
    existing = [factories.beneficiary(county.regions["V21"], user("admin"))
                for _ in range(limit + 1)]
    numbers = [factories.stored_id_number(person) for person in existing]
    headers = auth_headers("liaison1")
    for number in numbers[:limit]:
        assert post(client, headers, county.regions["V11"], id_number=number).status_code == 422
    # beyond the limit every ID number is refused, registered or not: the refusal tells nothing
    for number in (numbers[limit], factories.id_number()):
        refused = post(client, headers, county.regions["V11"], id_number=number)
        assert refused.status_code == 429, refused.json
        assert refused.json["code"] == LIMITED
    assert len(taken_rows(user("liaison1").id)) == limit
    # an update that sets an ID number too
    mine = factories.beneficiary(county.regions["V11"], user("admin"))
    patched = client.patch(f"{URL}/{mine.id}", json={"id_number": factories.id_number()},
                           headers=headers)
    assert patched.status_code == 429
    # another user is not affected; records without an ID change still are written
    assert post(client, auth_headers("liaison2"), county.regions["V12"]).status_code == 201
    assert client.patch(f"{URL}/{mine.id}", json={"address": "二组"},
                        headers=headers).status_code == 200


def test_taken_answers_through_sync_are_kept_and_bounded(app, client, auth_headers, county, user):
    limit = app.config["LIANXIN_ID_TAKEN_LIMIT"]
    existing = [factories.beneficiary(county.regions["V21"], user("admin")) for _ in range(limit)]
    phone = Phone(client, auth_headers("liaison1"))
    village = county.regions["V11"]
    mutations = [phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(
        village, id_number=factories.stored_id_number(person))) for person in existing]
    mutations.append(phone.mutation("beneficiary", uuid.uuid4(), new_beneficiary_data(village)))
    response = phone.push(mutations)
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["status"] for r in results] == ["rejected"] * (limit + 1)
    assert all(r["errors"]["id_number"] == ["该身份证号已登记"] for r in results[:limit])
    assert "上限" in results[limit]["errors"]["id_number"][0]
    # each rejected mutation's savepoint rolled back; its audit row did not
    rows = taken_rows(user("liaison1").id)
    assert sorted(r.record_id for r in rows) == sorted(str(p.id) for p in existing)


def test_the_own_number_again_is_a_hit_too(client, auth_headers, county, user):
    """Setting a person's number to what it is changes nothing - and so tells that it is."""
    mine = factories.beneficiary(county.regions["V11"], user("admin"))
    number = factories.stored_id_number(mine)
    response = client.patch(f"{URL}/{mine.id}", json={"id_number": number},
                            headers=auth_headers("liaison1"))
    assert response.status_code == 200
    assert [r.record_id for r in taken_rows(user("liaison1").id)] == [str(mine.id)]


# --- migration 0008_id_mask: the stored copies of the old mask ---------------------------

@pytest.fixture
def own_database(backend, databases):
    with databases.empty(backend, "mask") as url:
        app = create_app(make_config(url))
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_migration_masks_the_old_copies_again(own_database):
    with own_database.app_context():
        upgrade(revision="heads")
        factories.build_county()
        db.session.commit()
        county = factories.county_ids()
        actor = db.session.get(User, county.users["admin"])
        person = factories.beneficiary(county.regions["V11"], actor)
        number = factories.stored_id_number(person)
        old = number[:4] + "*" * 10 + number[-4:]
        db.session.remove()
        downgrade(revision="0008_feedback_abuse")  # the revision before 0008_id_mask
        # what the revisions before it left: the old mask in the column, in audit values, in stored wire text
        db.session.execute(text("UPDATE beneficiary SET id_number_masked = :m"), {"m": old})
        db.session.add(AuditEntry(action="update", entity="beneficiary", record_id=str(person.id),
                                  changes={"id_number_masked": [old, old], "address": ["a", "b"]}))
        db.session.add(AuditEntry(action="create", entity="beneficiary", record_id=str(person.id),
                                  changes={"id_number_masked": old, "name": "张三"}))
        wire_rows = db.session.scalars(select(SyncChange).where(
            SyncChange.entity == "beneficiary", SyncChange.wire.is_not(None))).all()
        assert wire_rows
        for row in wire_rows:
            row.wire = row.wire.replace(IdNumber(number).masked, old)
        db.session.commit()
        db.session.remove()
        upgrade(revision="heads")
        assert db.session.scalar(select(Beneficiary.id_number_masked)) == number[:4] + "*" * 14
        changes = db.session.scalars(select(AuditEntry.changes).where(
            AuditEntry.entity == "beneficiary")).all()
        assert not any(old in json.dumps(c) for c in changes)
        assert {"id_number_masked": [IdNumber(number).masked] * 2, "address": ["a", "b"]} in changes
        assert db.session.scalar(select(sa.func.count()).select_from(SyncChange).where(
            SyncChange.entity == "beneficiary", SyncChange.wire.is_not(None))) == 0
        # the audit log is append-only again
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(text("UPDATE audit_log SET action = 'x'"))
        db.session.rollback()
