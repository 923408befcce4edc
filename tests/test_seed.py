"""The demo county seed, each run on a fresh database of its own (not the shared test county).

The ``county`` scale is not run here (about a minute); it is measured by hand and
by the benchmarks. Every test here runs on each day of ``tests.clock.CALENDAR``
(the seed's dates count back from its explicit ``now``): the demo holds its
promises whatever the day it is loaded.
"""

import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from server.beneficiaries.models import Beneficiary
from server.common.crypto import decrypt, lookup_hash
from server.common.idnumbers import IdNumber
from server.common.timeutil import county_today, county_zone, utcnow
from server.contacts.models import ContactCard, ContactLog
from server.extensions import db
from server.feedback.models import Feedback
from server.health.models import HealthEvent, HealthFile
from server.mediation.models import MediationCase, MediationSession
from server.notifications.models import Notification
from server.records.models import AuditEntry, SyncChange, SyncScope
from server.regions.models import Region
from server.seed.demo import seed_county
from server.users.models import User
from server.visits.models import Visit, VisitTask

pytestmark = pytest.mark.calendar

PASSWORD = "Lianxin-demo-2026"
SYNCED = (Region, Beneficiary, HealthFile, HealthEvent, Visit, VisitTask, MediationCase,
          MediationSession, ContactCard, ContactLog, Feedback, Notification)
VILLAGE_BOUND = (Beneficiary, HealthFile, HealthEvent, Visit, VisitTask, MediationCase,
                 MediationSession, ContactCard, ContactLog)
DETAIL_KEYS = {
    "monthly": {"living", "production", "health"},
    "sick": {"illness", "hospital", "treatment", "aid_needed"},
    "hardship": {"difficulty", "help_pledged", "helper", "plan"},
    "good_news": {"merit", "award"},
    "mediation": set(),
}


@contextmanager
def _seeded(databases, backend, name, seed=7, now=None, counties=1):
    """A committed app whose migrated, empty database gets the demo county of ``seed``
    (``counties``: that many side by side)."""
    with databases.committed_app(backend, name, county=None) as app:
        with app.app_context():
            app.extensions["seed_summary"] = seed_county("demo", seed=seed, now=now,
                                                         counties=counties)
        yield app


@pytest.fixture(scope="module")
def seeded(backend, databases, calendar_instant):
    """An app whose fresh database holds the demo county of seed 7, loaded on the
    calendar day under test."""
    with _seeded(databases, backend, "seed", now=calendar_instant) as app:
        yield app


@pytest.fixture
def ctx(seeded):
    with seeded.app_context():
        yield seeded
        db.session.remove()


def _all(statement):
    return db.session.execute(statement).all()


def _regions():
    return {r.code: r for r in db.session.scalars(select(Region).order_by(Region.code))}


# --- shape of the county ---------------------------------------------------------------


def test_summary_is_chinese_with_counts(seeded):
    summary = seeded.extensions["seed_summary"]
    assert "3 个乡镇" in summary and "6 个村" in summary and "优抚对象" in summary


def test_regions_form_one_county(ctx):
    regions = _regions()
    levels = Counter(r.level for r in regions.values())
    assert levels == {"county": 1, "township": 3, "village": 6}
    county = next(r for r in regions.values() if r.level == "county")
    assert len(county.code) == 6 and county.name.endswith("县") and county.parent_id is None
    for region in regions.values():
        if region.level == "township":
            assert region.parent_id == county.id
            assert len(region.code) == 9 and region.code.startswith(county.code)
            assert region.name[-1] in "镇乡"
        elif region.level == "village":
            parent = db.session.get(Region, region.parent_id)
            assert parent.level == "township"
            assert len(region.code) == 12 and region.code.startswith(parent.code)
            assert region.name.endswith(("村", "社区"))
    villages_per_township = Counter(r.parent_id for r in regions.values() if r.level == "village")
    assert set(villages_per_township.values()) == {2}


def test_about_fifty_beneficiaries_per_village(ctx):
    total = db.session.scalar(select(func.count()).select_from(Beneficiary))
    assert 280 <= total <= 320
    per_village = _all(select(Beneficiary.village_id, func.count()).group_by(Beneficiary.village_id))
    assert len(per_village) == 6
    assert all(30 <= count <= 70 for _village, count in per_village)


# --- accounts ----------------------------------------------------------------------------


def _demo_account_regions():
    regions = _regions()
    townships = [r for r in regions.values() if r.level == "township"]
    villages = {t.id: [r for r in regions.values() if r.parent_id == t.id] for t in townships}
    county = next(r for r in regions.values() if r.level == "county")
    first, second = townships[0], townships[1]
    return {
        "admin": ("admin", county.id),
        "county1": ("county_officer", county.id),
        "township1": ("township_officer", first.id),
        "liaison1": ("liaison", villages[first.id][0].id),
        "liaison2": ("liaison", villages[first.id][1].id),
        "liaison3": ("liaison", villages[second.id][0].id),
    }


def test_demo_accounts_have_their_roles_and_regions(ctx):
    for username, (role, region_id) in _demo_account_regions().items():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        assert (user.role, user.region_id) == (role, region_id), username
        assert user.active and user.display_name


def test_one_liaison_per_village_and_one_officer_per_township(ctx):
    regions = _regions()
    users = db.session.scalars(select(User)).all()
    liaisons = Counter(u.region_id for u in users if u.role == "liaison")
    officers = Counter(u.region_id for u in users if u.role == "township_officer")
    assert liaisons == {r.id: 1 for r in regions.values() if r.level == "village"}
    assert officers == {r.id: 1 for r in regions.values() if r.level == "township"}
    # one password hash, computed once, shared by every account
    assert len({u.password_hash for u in users}) == 1


@pytest.mark.parametrize("username", ["admin", "county1", "township1", "liaison1", "liaison2",
                                      "liaison3"])
def test_demo_accounts_log_in(seeded, username):
    response = seeded.test_client().post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.json
    assert response.json["user"]["username"] == username
    assert response.json["access_token"]


def test_other_liaisons_log_in_with_the_same_password(seeded):
    with seeded.app_context():
        username = db.session.scalar(
            select(User.username).where(User.username.like("liaison\\_%", escape="\\"))
            .order_by(User.username).limit(1)
        )
    response = seeded.test_client().post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200


# --- beneficiaries -----------------------------------------------------------------------


def test_id_numbers_are_valid_unique_and_consistent(ctx):
    numbers = []
    for person in db.session.scalars(select(Beneficiary)):
        number = decrypt(person.id_number_encrypted)
        assert IdNumber.problem(number) is None, number
        assert person.id_number_hash == lookup_hash(number)
        assert person.id_number_masked == IdNumber(number).masked
        assert IdNumber(number).birth_date == person.birth_date
        assert IdNumber(number).sex == person.sex
        numbers.append(number)
    assert len(set(numbers)) == len(numbers)


def test_beneficiary_rules_hold(ctx):
    people = db.session.scalars(select(Beneficiary)).all()
    for person in people:
        if person.category == "disabled_serviceman":
            assert 1 <= person.disability_grade <= 10
        else:
            assert person.disability_grade is None
        if person.is_migrant:
            assert person.work_city and person.status == "active"
        assert person.name and 2 <= len(person.name) <= 4
    statuses = Counter(p.status for p in people)
    assert statuses["active"] > 0.8 * len(people)
    assert 0.08 <= sum(p.is_migrant for p in people) / len(people) <= 0.3
    assert len({p.category for p in people}) >= 6


# --- visits and tasks --------------------------------------------------------------------


def test_no_visit_after_today_and_visits_are_consistent(ctx):
    today = county_today()
    liaison_of = dict(_all(select(User.region_id, User.id).where(User.role == "liaison")))
    village_of = dict(_all(select(Beneficiary.id, Beneficiary.village_id)))
    visits = db.session.scalars(select(Visit)).all()
    assert len(visits) > 1000
    for visit in visits:
        assert visit.visited_on <= today
        assert visit.village_id == village_of[visit.beneficiary_id]
        assert visit.liaison_id == liaison_of[visit.village_id]
        assert set(visit.details) == DETAIL_KEYS[visit.visit_type]
        assert (visit.case_id is not None) == (visit.visit_type == "mediation")
        if visit.follow_up_due:
            assert visit.follow_up_due >= visit.visited_on
        if visit.review_status == "returned":
            assert visit.review_comment
        if visit.review_status == "pending":
            assert visit.reviewed_at is None
        else:
            assert visit.reviewed_by_id is not None and visit.reviewed_at <= visit.updated_at
    assert {v.visit_type for v in visits} == set(DETAIL_KEYS)
    assert {v.review_status for v in visits} == {"approved", "pending", "returned"}


def test_monthly_visits_are_near_the_visit_day(ctx):
    days = Counter(
        d.day for d in db.session.scalars(select(Visit.visited_on).where(Visit.visit_type == "monthly"))
    )
    assert days.most_common(1)[0][0] == 18
    assert set(days) <= set(range(13, 24))


def test_this_months_tasks_follow_the_visits(ctx, seeded):
    today = county_today()
    period = f"{today:%Y-%m}"
    due_on = today.replace(day=seeded.config["LIANXIN_VISIT_DAY"])
    active = set(db.session.scalars(select(Beneficiary.id).where(Beneficiary.status == "active")))
    visited = dict(_all(
        select(Visit.beneficiary_id, Visit.id).where(
            Visit.visit_type == "monthly", Visit.visited_on >= today.replace(day=1)
        )
    ))
    tasks = db.session.scalars(
        select(VisitTask).where(VisitTask.kind == "monthly", VisitTask.period == period)
    ).all()
    assert {t.beneficiary_id for t in tasks} == active
    for task in tasks:
        assert task.due_on == due_on
        if task.beneficiary_id in visited:
            assert (task.status, task.done_visit_id) == ("done", visited[task.beneficiary_id])
        elif today > due_on + timedelta(days=3):
            assert task.status == "overdue" and task.overdue_days == (today - due_on).days
        else:
            assert task.status == "due"


# --- health data -------------------------------------------------------------------------


def test_health_data_is_encrypted_at_rest(ctx):
    raw = db.session.execute(
        text("SELECT conditions, medications FROM health_file WHERE conditions IS NOT NULL")
    ).all()
    assert raw
    for conditions, medications in raw:
        for value in (conditions, medications):
            if value is not None:
                assert value.startswith("gAAAA")  # a Fernet token
                assert not any("\u4e00" <= ch <= "\u9fff" for ch in value)
    files = db.session.scalars(select(HealthFile).where(HealthFile.conditions.is_not(None))).all()
    assert any("高血压" in f.conditions for f in files)  # the ORM sees plain text
    assert decrypt(raw[0][0]) in {f.conditions for f in files}


def test_health_files_and_events(ctx):
    beneficiaries = db.session.scalar(select(func.count()).select_from(Beneficiary))
    files = db.session.scalars(select(HealthFile)).all()
    assert len(files) > 0.8 * beneficiaries
    assert all(f.insurance for f in files)
    events = db.session.scalars(select(HealthEvent)).all()
    assert events
    for event in events:
        assert (event.aid_amount_fen is not None) == (event.kind == "medical_aid")
        if event.aid_amount_fen is not None:
            assert isinstance(event.aid_amount_fen, int) and event.aid_amount_fen > 0


# --- the rest ----------------------------------------------------------------------------


def test_mediation_contacts_feedback_notifications(ctx):
    today = county_today()
    cases = db.session.scalars(select(MediationCase)).all()
    assert len(cases) >= 6 and len({c.status for c in cases}) >= 3
    for case in cases:
        if case.status in ("resolved", "referred"):
            assert case.closed_on is not None
    migrants = set(db.session.scalars(
        select(Beneficiary.id).where(Beneficiary.is_migrant, Beneficiary.status == "active")
    ))
    cards = db.session.scalars(select(ContactCard)).all()
    assert {c.beneficiary_id for c in cards} == migrants
    assert len({c.card_number for c in cards}) == len(cards)
    assert all(c.card_number.startswith("LX") for c in cards)
    assert db.session.scalar(select(func.count()).select_from(ContactLog)) > 0
    feedback = db.session.scalars(select(Feedback)).all()
    assert feedback and len({f.receipt_number for f in feedback}) == len(feedback)
    for item in feedback:
        received = item.created_at.astimezone(county_zone()).date()
        assert item.deadline == received + timedelta(days=15)
        assert received < today
        assert item.receipt_number.startswith(f"FK{received:%Y%m%d}")
        assert len(item.receipt_number) == 16 and item.receipt_number[2:].isdigit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) >= 1


@pytest.mark.parametrize("model", VILLAGE_BOUND, ids=lambda m: m.__tablename__)
def test_village_bound_rows_have_a_village(ctx, model):
    villages = set(db.session.scalars(select(Region.id).where(Region.level == "village")))
    assert set(db.session.scalars(select(model.village_id).distinct())) <= villages


@pytest.mark.parametrize("model", SYNCED, ids=lambda m: m.__tablename__)
def test_synced_rows_have_their_bookkeeping(ctx, model):
    # the day under test (the seed counts back from it), not the latest audit row: that
    # was another test's login when the module ran whole, the seed's own row (stamped by
    # the clock of the fixture's set-up) when this test ran alone
    now = utcnow()
    rows = db.session.scalars(select(model)).all()
    assert rows
    for row in rows:
        assert row.version == 1 and row.field_versions == {} and row.deleted_at is None
        assert row.created_at.tzinfo is not None
        assert row.created_at <= row.updated_at <= now


def test_one_audit_row_for_the_whole_load(ctx):
    entries = db.session.scalars(select(AuditEntry)).all()
    actions = Counter(e.action for e in entries)  # the login tests add theirs
    assert actions["seed_demo"] == 1 and set(actions) <= {"seed_demo", "login"}
    seed_entry = next(e for e in entries if e.action == "seed_demo")
    assert seed_entry.changes["beneficiaries"] == db.session.scalar(
        select(func.count()).select_from(Beneficiary)
    )


def test_every_synced_row_is_in_the_change_log(ctx):
    logged = Counter(dict(_all(select(SyncChange.entity, func.count()).group_by(SyncChange.entity))))
    for model in SYNCED:
        if model.wire_entity:
            assert logged[model.wire_entity] == db.session.scalar(
                select(func.count()).select_from(model)
            ), model.wire_entity
    scopes = dict(_all(select(SyncScope.id, SyncScope.seq)))
    per_scope = _all(select(SyncChange.scope_id, func.count(), func.max(SyncChange.seq))
                     .group_by(SyncChange.scope_id))
    assert all(count == top == scopes[scope_id] for scope_id, count, top in per_scope)


def _first_pull(client, username, limit=500):
    """A liaison's first pull, whole, in pages of ``limit``: (their village's id, {entity:
    count}, the people's ids, the last cursor, the region codes pulled); every change is
    an upsert, every person pulled is of the village."""
    login = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['access_token']}",
               "X-Client-Id": f"seed-test-{uuid.uuid4().hex[:8]}"}
    village_id = login.json["user"]["region"]["id"]
    pulled, cursor, beneficiaries, regions = Counter(), None, set(), set()
    for _page in range(5000):
        query = f"/api/v1/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query, headers=headers).json
        for change in body["changes"]:
            assert change["op"] == "upsert", change
            pulled[change["entity"]] += 1
            if change["entity"] == "beneficiary":
                assert change["data"]["village_id"] == village_id
                beneficiaries.add(change["record_id"])
            if change["entity"] == "region":
                regions.add(change["data"]["code"])
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    return village_id, pulled, beneficiaries, (cursor, headers), regions


def test_liaisons_first_pull_brings_their_village(seeded):
    client = seeded.test_client()
    village_id, pulled, beneficiaries, (cursor, headers), _ = _first_pull(client, "liaison1")
    with seeded.app_context():
        expected = {str(i) for i in db.session.scalars(
            select(Beneficiary.id).where(Beneficiary.village_id == uuid.UUID(village_id))
        )}
        visits = db.session.scalar(select(func.count()).select_from(Visit).where(
            Visit.village_id == uuid.UUID(village_id)))
    assert beneficiaries == expected
    assert pulled["region"] >= 1 and pulled["visit"] == visits
    assert pulled["health_file"] and pulled["visit_task"] and pulled["notification"]
    again = client.get(f"/api/v1/sync/pull?cursor={cursor}", headers=headers).json
    assert again["changes"] == []


# --- determinism and the command ---------------------------------------------------------


def _people(app):
    with app.app_context():
        rows = _all(select(Beneficiary).order_by(Beneficiary.id))
        return [(b.id, b.name, b.birth_date, decrypt(b.id_number_encrypted), b.village_id)
                for (b,) in rows]


def test_same_seed_same_county_other_seed_other_county(databases, calendar_instant):
    with ExitStack() as stack:
        apps = [stack.enter_context(_seeded(databases, "sqlite", name, seed, now=calendar_instant))
                for name, seed in (("a", 7), ("b", 7), ("c", 8))]
        first, again, other = (_people(app) for app in apps)
    assert first == again
    assert {p[0] for p in first}.isdisjoint({p[0] for p in other})
    assert [p[1] for p in first] != [p[1] for p in other]


def test_cli_seeds_an_empty_database_once(databases):
    with databases.committed_app("sqlite", "cli", county=None) as app:
        runner = app.test_cli_runner()
        # ``flask`` pushes an app context for every command; the test runner does not.
        with app.app_context():
            result = runner.invoke(args=["seed-demo", "--seed", "3"])
            assert result.exit_code == 0, result.output
            assert "优抚对象" in result.output
            assert "liaison1" in result.output and PASSWORD in result.output
            assert "http://127.0.0.1:5000" in result.output

            refused = runner.invoke(args=["seed-demo"])
            assert refused.exit_code != 0
            assert "数据库不是空的" in refused.output

            skipped = runner.invoke(args=["seed-demo", "--if-empty"])
            assert skipped.exit_code == 0
            assert "跳过" in skipped.output and "township1" in skipped.output
            assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_two_counties_side_by_side_each_liaison_pulls_only_their_village(
        backend, databases, calendar_instant):
    with _seeded(databases, backend, "prefecture", now=calendar_instant, counties=2) as app:
        with app.app_context():
            counties = db.session.scalars(select(Region.code).where(
                Region.level == "county").order_by(Region.code)).all()
            codes = db.session.scalars(select(Region.code)).all()
            usernames = db.session.scalars(select(User.username)).all()
            officers = db.session.execute(select(User.username, Region.code).join(
                Region, User.region_id == Region.id).where(User.role == "county_officer")).all()
            liaison = db.session.scalar(select(User.username).join(
                Region, User.region_id == Region.id).where(
                User.role == "liaison", Region.code.startswith("510823")).order_by(Region.code))
            people = db.session.execute(select(Beneficiary.id_number_encrypted, Region.code).join(
                Region, Beneficiary.village_id == Region.id)).all()
            cards = db.session.scalars(select(ContactCard.card_number)).all()
            assert "2 个县" in app.extensions["seed_summary"]
        assert counties == ["510822", "510823"]
        assert len(codes) == len(set(codes)) == 2 * (1 + 3 + 6)
        assert {len(code) for code in codes} == {6, 9, 12}  # county, township, village
        assert len(usernames) == len(set(usernames))
        assert sorted(officers) == [("county1", "510822"), ("county_510823", "510823")]
        assert {decrypt(number)[:6] == code[:6] for number, code in people} == {True}
        assert len(cards) == len(set(cards))
        client = app.test_client()
        # in small pages, so that the region tree (20 regions) spans several: the other
        # county's regions come neither as upserts nor as deletes
        for username, limit in (("liaison1", 500), (liaison, 500), (liaison, 8)):
            village_id, pulled, beneficiaries, _, regions = _first_pull(client, username, limit)
            with app.app_context():
                village = db.session.get(Region, uuid.UUID(village_id))
                expected = {str(i) for i in db.session.scalars(
                    select(Beneficiary.id).where(Beneficiary.village_id == village.id))}
            assert beneficiaries == expected and expected
            assert {code[:6] for code in regions} == {village.code[:6]}


def test_seed_refuses_a_database_with_regions(seeded):
    with seeded.app_context(), pytest.raises(RuntimeError, match="不是空的"):
        seed_county("demo", seed=7)



def test_the_compiled_wire_dump_is_the_schemas_dump(ctx):
    """Pulls dump records with server/records/wire.py; it must say exactly what the
    entity's marshmallow schema says, for every kind of record the county holds."""
    from server.records.wire import dumper
    from server.sync.entities import registry

    for entity in registry().values():
        records = db.session.scalars(select(entity.model).limit(400)).all()
        assert records, entity.name
        for record in records:
            assert dumper(entity.dump)(record) == entity.dump.dump(record), entity.name


def test_the_change_log_holds_records_as_pulls_send_them(ctx):
    """The bulk load stores each record's wire text, as writes through versioning do."""
    from tests.sync_helpers import assert_stored_wire_is_current

    stored = assert_stored_wire_is_current()
    unstored = db.session.scalar(select(func.count()).select_from(SyncChange).where(
        SyncChange.wire.is_(None), SyncChange.entity.in_(
            ["beneficiary", "health_file", "visit", "visit_task", "contact_log"])))
    assert stored > 1000 and unstored == 0


def test_the_stored_wire_text_is_stored_wire_of_the_loaded_record(ctx):
    """The seed makes each record's wire text from the row it inserts, not from the
    record read back: the text must be, byte for byte, what ``stored_wire`` makes of
    the record as it loads (sealed where the entity is sensitive)."""
    from server.records.wire import open_wire, stored_wire
    from server.sync.entities import registry

    entities = registry()
    rows = _all(select(SyncChange.entity, SyncChange.record_id, SyncChange.wire,
                       SyncChange.wire_format).where(SyncChange.wire.is_not(None)))
    by_entity = Counter()
    for row in rows:
        entity = entities[row.entity]
        record = db.session.get(entity.model, row.record_id)
        text, wire_format = stored_wire(record)
        assert row.wire_format == wire_format, row.entity
        assert row.wire.startswith("{") != entity.sensitive, row.entity
        assert open_wire(row.wire) == open_wire(text), (row.entity, row.record_id)
        by_entity[row.entity] += 1
    assert set(by_entity) >= {"beneficiary", "health_file", "health_event", "visit",
                              "visit_task", "mediation_case", "mediation_session",
                              "contact_log", "opinion", "policy", "outreach_meeting"}
