"""Data migrations: what an upgrade does to rows already there."""

import json
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

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
        from server.users.models import User

        person = factories.beneficiary(ids.regions["V11"], db.session.get(User, ids.users["admin"]))
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
