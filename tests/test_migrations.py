"""Data migrations: what an upgrade does to rows already there."""

import json
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from server import create_app
from server.common.models import UTCDateTime
from server.extensions import db
from tests import factories
from tests.apps import make_config

HEALTH = {"summary": "旧走访摘要胃癌术后", "needs": "旧需求透析", "actions": "旧措施送医",
          "illness": "旧病情尿毒症"}


@pytest.fixture
def fresh_url(backend, databases):
    with databases.empty(backend, "migrate") as url:
        yield url


def _raw_rows(connection):
    tables = sa.inspect(connection).get_table_names()
    for table in tables:
        for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
            yield table, " ".join(str(value) for value in row)


def _stored_person(village_id, name):
    """A beneficiary written as an older schema holds it (no column added since 0008)."""
    from server.common.idnumbers import IdNumber

    person = sa.table(
        "beneficiary", *(sa.column(n, sa.Uuid) for n in ("id", "village_id")),
        *(sa.column(n, UTCDateTime) for n in ("created_at", "updated_at")),
        sa.column("field_versions", sa.JSON),
        *(sa.column(n) for n in ("version", "name", "sex", "category", "status", "is_five_elders",
                                 "is_migrant", "id_number_encrypted", "id_number_hash",
                                 "id_number_masked")))
    values = {"id": uuid.uuid4(), "village_id": village_id, "version": 1, "name": name,
              "sex": "male", "category": "demobilized_veteran", "status": "active",
              "is_five_elders": False, "is_migrant": False, "field_versions": {},
              "created_at": datetime(2026, 11, 1, tzinfo=UTC),
              "updated_at": datetime(2026, 11, 1, tzinfo=UTC),
              **IdNumber(factories.id_number()).stored_columns()}
    db.session.execute(person.insert().values(**values))
    key = f"v:{village_id}"  # its village's change-log scope, as a create makes it
    if db.session.execute(sa.text("SELECT id FROM sync_scope WHERE key = :k"), {"k": key}).first() is None:
        db.session.execute(sa.text("INSERT INTO sync_scope (key, seq) VALUES (:k, 1)"), {"k": key})
    return type("Person", (), values)


def test_0009_fills_in_the_pinyin_initials_of_the_people_already_stored(fresh_url):
    from server.beneficiaries.models import Beneficiary

    app = create_app(make_config(fresh_url))
    with app.app_context():
        upgrade(revision="0008_seal_visits")  # the revision before 0009_name_initials
        factories.build_county()
        db.session.commit()
        ids = factories.county_ids()
        people = {_stored_person(ids.regions["V11"], name).id: initials
                  for name, initials in (("张国强", "zgq"), ("欧阳秀英", "oyxy"), ("李A", "la"))}
        db.session.execute(sa.text(
            "UPDATE sync_change SET wire = 'old' WHERE entity = 'beneficiary'"))
        db.session.commit()

        upgrade(revision="heads")

        db.session.expire_all()
        assert {pid: db.session.get(Beneficiary, pid).name_initials for pid in people} == people
        stale = db.session.execute(sa.text(
            "SELECT count(*) FROM sync_change WHERE entity = 'beneficiary' AND wire IS NOT NULL"))
        assert stale.scalar() == 0
        db.session.remove()


def test_0008_seals_the_visits_already_stored(fresh_url):
    from server.records.versioning import REDACTED
    from server.records.wire import open_wire
    from server.visits.models import Visit

    app = create_app(make_config(fresh_url))
    with app.app_context():
        upgrade(revision="0008_id_mask")  # the revision before 0008_seal_visits
        factories.build_county()
        db.session.commit()
        ids = factories.county_ids()
        person = _stored_person(ids.regions["V11"], "张三")
        visit_id, now = uuid.uuid4(), datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
        details = {"illness": HEALTH["illness"], "hospital": "县医院"}
        visit = sa.table(
            "visit", *(sa.column(name, sa.Uuid) for name in ("id", "beneficiary_id", "village_id")),
            *(sa.column(name, UTCDateTime) for name in ("created_at", "updated_at")),
            sa.column("visited_on", sa.Date),
            *(sa.column(name) for name in (
                "version", "field_versions", "liaison_id", "visit_type", "summary", "needs",
                "actions", "photo_ids", "review_status")),
            sa.column("details", sa.JSON))
        db.session.execute(visit.insert().values(
            id=visit_id, version=1, created_at=now, updated_at=now, field_versions=json.dumps({}),
            beneficiary_id=person.id, village_id=person.village_id,
            liaison_id=ids.users["liaison1"], visit_type="sick", visited_on=date(2026, 11, 18),
            summary=HEALTH["summary"], needs=HEALTH["needs"], actions=HEALTH["actions"],
            details=details, photo_ids="[]", review_status="pending"))
        # a task the visit closed: on SQLite a table rebuild of visit trips over its key
        task = sa.table(
            "visit_task", *(sa.column(name, sa.Uuid) for name in (
                "id", "beneficiary_id", "village_id", "done_visit_id")),
            *(sa.column(name, UTCDateTime) for name in ("created_at", "updated_at")),
            sa.column("due_on", sa.Date),
            *(sa.column(name) for name in ("version", "field_versions", "kind", "period",
                                           "status", "overdue_days")))
        db.session.execute(task.insert().values(
            id=uuid.uuid4(), version=1, created_at=now, updated_at=now,
            field_versions=json.dumps({}), beneficiary_id=person.id,
            village_id=person.village_id, kind="follow_up", period="2026-11",
            due_on=date(2026, 11, 18), status="done", done_visit_id=visit_id, overdue_days=0))
        audit = sa.table("audit_log", sa.column("at", UTCDateTime), sa.column("action"), sa.column("entity"),
                         sa.column("record_id"), sa.column("changes", sa.JSON))
        db.session.execute(audit.insert().values(
            at=now, action="create", entity="visit", record_id=str(visit_id),
            changes={"summary": HEALTH["summary"], "details": details, "visit_type": "sick"}))
        scope_id = db.session.execute(sa.text("SELECT id FROM sync_scope WHERE key = :k"),
                                      {"k": f"v:{person.village_id}"}).scalar()
        wire = json.dumps({"entity": "visit", "record_id": str(visit_id), "op": "upsert",
                           "version": 1, "data": {"summary": HEALTH["summary"]}},
                          ensure_ascii=False)
        change = sa.table("sync_change", sa.column("record_id", sa.Uuid),
                          sa.column("changed_at", UTCDateTime), *(sa.column(name) for name in (
                              "scope_id", "entity", "seq", "kind", "wire", "wire_format")))
        db.session.execute(change.insert().values(
            scope_id=scope_id, entity="visit", record_id=visit_id, seq=999, kind="upsert",
            changed_at=now, wire=wire, wire_format="old"))
        db.session.commit()

        upgrade(revision="heads")

        with db.engine.connect() as connection:
            found = {(table, text) for table, raw in _raw_rows(connection)
                     for text in HEALTH.values() if text in raw}
        assert found == set()
        db.session.expire_all()
        stored = db.session.get(Visit, visit_id)
        assert (stored.summary, stored.needs, stored.details) == (
            HEALTH["summary"], HEALTH["needs"], details)
        [changes] = db.session.execute(
            sa.select(audit.c.changes).where(audit.c.record_id == str(visit_id))).scalars()
        changes = json.loads(changes) if isinstance(changes, str) else changes
        assert changes == {"summary": REDACTED, "details": REDACTED, "visit_type": "sick"}
        kept = db.session.execute(sa.select(change.c.wire).where(
            change.c.record_id == visit_id)).scalar()
        assert open_wire(kept) == wire
        # the audit log is append-only again
        with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_log SET action = 'x'"))
        db.session.remove()


def test_0013_marks_the_feedback_already_stored_as_forms(fresh_url):
    from server.feedback.models import Feedback

    app = create_app(make_config(fresh_url))
    with app.app_context():
        upgrade(revision="0012_policies")  # the revision before 0013_opinions
        now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        feedback = sa.table(
            "feedback", sa.column("id", sa.Uuid),
            *(sa.column(name, UTCDateTime) for name in ("created_at", "updated_at")),
            sa.column("deadline", sa.Date), sa.column("field_versions", sa.JSON),
            *(sa.column(name) for name in ("version", "receipt_number", "category", "text",
                                           "status", "reminders_sent")))
        feedback_id = uuid.uuid4()
        db.session.execute(feedback.insert().values(
            id=feedback_id, version=1, created_at=now, updated_at=now, field_versions={},
            receipt_number="FK20261120000001", category="policy", text="旧的意见",
            status="received", reminders_sent=0, deadline=date(2026, 12, 5)))
        db.session.commit()

        upgrade(revision="heads")

        db.session.expire_all()
        stored = db.session.get(Feedback, feedback_id)
        assert (stored.source, stored.collected_by_id, stored.text) == ("form", None, "旧的意见")
        assert db.session.execute(sa.text("SELECT count(*) FROM opinion")).scalar() == 0
        db.session.remove()


def test_0015_moves_the_photos_stored_in_the_database_into_the_photo_store(fresh_url, tmp_path):
    from server.visits.models import Attachment
    from server.visits.photos import photo_store

    app = create_app(make_config(fresh_url, LIANXIN_PHOTO_DIR=str(tmp_path / "photos")))
    with app.app_context():
        upgrade(revision="0014_outreach")  # the revision before 0015_photo_files
        factories.build_county()
        db.session.commit()
        uploader = db.session.execute(sa.text("SELECT min(id) FROM user_account")).scalar()
        old = sa.table("attachment", sa.column("id", sa.Uuid), sa.column("data", sa.LargeBinary),
                       sa.column("created_at", UTCDateTime),
                       *(sa.column(n) for n in ("sha256", "content_type", "size", "uploaded_by_id")))
        photos = {uuid.uuid4(): factories.image_bytes("PNG", size=(8 + n, 8)) for n in range(5)}
        twin = uuid.uuid4()  # the same bytes as another photo: one file for both
        photos[twin] = next(iter(photos.values()))
        for photo_id, data in photos.items():
            db.session.execute(old.insert().values(
                id=photo_id, data=data, sha256="0" * 64, content_type="image/png", size=len(data),
                uploaded_by_id=uploader, created_at=datetime(2026, 11, 20, tzinfo=UTC)))
        db.session.commit()

        upgrade(revision="heads")

        db.session.expire_all()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("attachment")}
        assert "data" not in columns and "file_key" in columns
        store = photo_store()
        assert store.root == tmp_path / "photos"
        for photo_id, data in photos.items():
            stored = db.session.get(Attachment, photo_id)
            assert store.read(stored.file_key) == data, photo_id
        assert len(list(store.iter_keys())) == len(photos) - 1
        db.session.remove()

        downgrade(revision="0014_outreach")  # and back: the bytes return to the rows
        with db.engine.connect() as connection:
            back = dict(connection.execute(sa.select(old.c.id, old.c.data)).all())
        assert {photo_id: bytes(data) for photo_id, data in back.items()} == photos
        db.engine.dispose()
