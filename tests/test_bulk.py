"""server/common/bulk.py: rows written at once (COPY on PostgreSQL) are stored exactly
as the table's INSERT stores them, and a refusal is SQLAlchemy's error."""

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from server.common.bulk import insert_rows
from server.common.crypto import decrypt, encrypted_columns
from server.common.timeutil import utcnow
from server.extensions import db
from server.health.models import HealthFile
from server.visits.models import Visit
from tests import factories


def _stored(table, record_id):
    """The row as the database holds it (no result processing: ciphertext stays)."""
    columns = ", ".join(c.name for c in table.columns)
    return dict(db.session.execute(
        text(f"SELECT {columns} FROM {table.name} WHERE id = :id"),
        {"id": record_id if db.engine.dialect.name == "postgresql" else record_id.hex},
    ).mappings().one())


def _visit_row(person, user, today, now=None):
    # field_versions, version and created_at are left to the columns' defaults;
    # location is None on purpose (a JSON column: None is stored as INSERT stores it).
    return {"id": uuid.uuid4(), "beneficiary_id": person.id, "village_id": person.village_id,
            "liaison_id": user("liaison1").id, "visit_type": "monthly", "visited_on": today,
            "summary": "身体尚好", "details": {"living": "好"}, "photo_ids": [],
            "location": None, "review_status": "pending", "updated_at": now or utcnow()}


def test_rows_are_stored_as_the_tables_insert_stores_them(county, user, today):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    now = utcnow()
    copied, inserted = _visit_row(person, user, today, now), _visit_row(person, user, today, now)
    insert_rows(Visit.__table__, [copied])
    db.session.execute(Visit.__table__.insert(), [inserted])

    mine, theirs = _stored(Visit.__table__, copied["id"]), _stored(Visit.__table__, inserted["id"])
    for name in encrypted_columns(Visit.__table__):  # ciphertexts differ (random IVs)
        if mine[name] is not None:
            assert mine[name] != copied[name] and theirs[name] != inserted[name]
            mine[name], theirs[name] = decrypt(mine[name]), decrypt(theirs[name])
    assert mine.pop("id") != theirs.pop("id")
    assert mine.pop("created_at") is not None and theirs.pop("created_at") is not None
    assert mine == theirs
    visit = db.session.get(Visit, copied["id"])
    assert visit.field_versions == {} and visit.version == 1 and visit.details == {"living": "好"}


def test_encrypted_columns_are_encrypted(county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    record_id = uuid.uuid4()
    insert_rows(HealthFile.__table__, [{
        "id": record_id, "beneficiary_id": person.id, "village_id": person.village_id,
        "conditions": "高血压", "updated_at": utcnow()}])

    assert _stored(HealthFile.__table__, record_id)["conditions"] not in (None, "高血压")
    assert db.session.get(HealthFile, record_id).conditions == "高血压"


def test_a_refused_row_is_sqlalchemys_error_and_the_savepoint_recovers(county, user, today):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    first = _visit_row(person, user, today)
    insert_rows(Visit.__table__, [first])
    savepoint = db.session.begin_nested()
    with pytest.raises(IntegrityError):
        insert_rows(Visit.__table__, [_visit_row(person, user, today), {**first}])
    savepoint.rollback()

    ids = db.session.scalars(select(Visit.id).where(Visit.beneficiary_id == person.id)).all()
    assert ids == [first["id"]]


def test_records_created_together_get_their_defaults_before_the_wire_is_stored(county, user,
                                                                               today):
    from server.records.versioning import create_records
    from tests.sync_helpers import assert_stored_wire_is_current

    person = factories.beneficiary(county.regions["V11"], user("admin"))
    visit = Visit(beneficiary_id=person.id, village_id=person.village_id, visit_type="monthly",
                  liaison_id=user("liaison1").id, visited_on=today, summary="走访")
    visit.id = uuid.uuid4()
    create_records([visit], user("liaison1"))  # details, photo_ids, review_status left unset

    assert (visit.details, visit.photo_ids, visit.review_status) == ({}, [], "pending")
    stored = db.session.get(Visit, visit.id)
    assert (stored.details, stored.photo_ids, stored.review_status) == ({}, [], "pending")
    assert_stored_wire_is_current()
