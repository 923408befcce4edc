"""New visits pushed together are written as a run (server/sync/push.py): the same
answers, rows and task changes as one at a time, and a run that fails as a whole
is applied again one mutation at a time."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from server.extensions import db
from server.records.changelog import village_scope
from server.records.models import SyncChange, SyncScope
from server.sync.models import SyncMutation
from server.visits import operations, tasks
from server.visits.models import Visit, VisitTask
from tests import factories
from tests.factories import audit_rows, row
from tests.sync_helpers import Phone


def visit_data(beneficiary, day, visit_type="monthly", **extra):
    return {"beneficiary_id": str(beneficiary.id), "visit_type": visit_type,
            "visited_on": day.isoformat(), "summary": "身体尚好，生活平稳", **extra}


def people(county, user, count, village="V11"):
    return [factories.beneficiary(county.regions[village], user("admin"), name=f"李{n}")
            for n in range(count)]


def visits_in_db(ids):
    return db.session.scalar(select(func.count()).select_from(Visit).where(
        Visit.id.in_([uuid.UUID(str(i)) for i in ids])))


def test_each_new_visit_of_a_run_gets_its_own_answer(client, auth_headers, county, user, today,
                                                     other_beneficiary):
    first, second = people(county, user, 2)
    existing = Phone(client, auth_headers("liaison1"))
    taken = uuid.uuid4()
    assert existing.push([existing.mutation("visit", taken, visit_data(first, today))]).status_code == 200

    phone = Phone(client, auth_headers("liaison1"))
    ok, repeated = uuid.uuid4(), uuid.uuid4()
    mutations = [
        phone.mutation("visit", ok, visit_data(first, today)),
        phone.mutation("visit", uuid.uuid4(), {**visit_data(first, today), "summary": ""}),
        phone.mutation("visit", uuid.uuid4(), visit_data(other_beneficiary, today)),
        phone.mutation("visit", ok, visit_data(second, today)),  # the same id again
        phone.mutation("visit", taken, visit_data(second, today)),  # an id already in use
        phone.mutation("beneficiary", first.id, {"address": "三组"}, base_version=1),  # ends the run
        phone.mutation("visit", repeated, visit_data(second, today, "good_news")),
    ]
    response = phone.push(mutations)

    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == [
        "applied", "rejected", "rejected", "rejected", "rejected", "applied", "applied"]
    assert results[1]["errors"] == {"summary": ["此项必填"]} or "summary" in results[1]["errors"]
    assert results[2]["errors"] == {"beneficiary_id": ["不在您的管辖范围内"]}
    assert results[3]["errors"] == {"id": ["该编号已被使用"]}
    assert results[4]["errors"] == {"id": ["该编号已被使用"]}
    assert [r["id"] for r in results] == list(range(1, 8))
    assert response.json["last_mutation_id"] == 7
    assert row(Visit, ok).beneficiary_id == first.id
    assert row(Visit, taken).beneficiary_id == first.id  # untouched by the refused copy
    assert row(Visit, repeated).visit_type == "good_news"
    # every mutation's result is kept for replays, in order
    kept = db.session.scalars(select(SyncMutation.status).where(
        SyncMutation.client_id == phone.client_id).order_by(SyncMutation.mutation_id)).all()
    assert kept == [r["status"] for r in results]


def test_a_run_leaves_the_same_trace_as_one_write(client, auth_headers, county, user, today):
    person = people(county, user, 1)[0]
    phone = Phone(client, auth_headers("liaison1"))
    ids = [uuid.uuid4() for _ in range(3)]
    scope_seq = db.session.scalar(select(SyncScope.seq).where(
        SyncScope.key == village_scope(county.regions["V11"])))

    response = phone.push([phone.mutation("visit", i, visit_data(person, today - timedelta(days=n)))
                           for n, i in enumerate(ids)])

    assert {r["status"] for r in response.json["results"]} == {"applied"}
    for record_id in ids:
        visit = row(Visit, record_id)
        assert visit.version == 1 and visit.liaison_id == county.users["liaison1"]
        assert visit.field_versions["summary"] == 1
        [entry] = audit_rows(record_id, "create")
        assert entry.client_id == phone.client_id and entry.username == "liaison1"
        assert entry.changes["summary"] == "（已加密，不记录）"
    # one change row each, numbered after what the scope had, in push order
    changes = db.session.scalars(select(SyncChange).where(
        SyncChange.record_id.in_(ids)).order_by(SyncChange.seq)).all()
    assert [c.record_id for c in changes] == ids
    assert [c.seq for c in changes] == [scope_seq + 1, scope_seq + 2, scope_seq + 3]
    assert {c.kind for c in changes} == {"upsert"}
    # and a fresh phone of the village receives them
    reader = Phone(client, auth_headers("liaison1"))
    reader.pull_all()
    assert {str(i) for i in ids} <= reader.ids("visit")


def _task_picture(beneficiaries, visit_ids):
    """The tasks of ``beneficiaries`` with people and visits named by position."""
    person = {b.id: n for n, b in enumerate(beneficiaries)}
    visit = {uuid.UUID(str(v)): n for n, v in enumerate(visit_ids)}
    rows = db.session.scalars(select(VisitTask).where(
        VisitTask.beneficiary_id.in_(person), VisitTask.deleted_at.is_(None))).all()
    return sorted((person[t.beneficiary_id], t.kind, t.period, t.due_on, t.status,
                   visit.get(t.done_visit_id, t.done_visit_id and "earlier"),
                   visit.get(t.source_visit_id, t.source_visit_id and "earlier"), t.version)
                  for t in rows)


def _scenario(client, headers, county, user, today):
    """Three people: two with this month's task, one with an open revisit."""
    group = people(county, user, 3)
    for beneficiary in group[:2]:
        tasks.ensure_monthly_task(beneficiary, today)
    sick = client.post("/api/v1/visits", headers=headers, json=visit_data(
        group[2], today - timedelta(days=10), "sick", details={"illness": "感冒"}))
    assert sick.status_code == 201
    db.session.commit()
    plan = [
        visit_data(group[0], today),
        visit_data(group[0], today),  # a second monthly visit: nothing left to close
        visit_data(group[1], today - timedelta(days=2), "sick", details={"illness": "腰痛"}),
        visit_data(group[1], today, follow_up_due=(today + timedelta(days=20)).isoformat()),
        visit_data(group[2], today),
    ]
    return group, plan


def _run_and_one_by_one(scenario, client, headers, county, user, today):
    """The task picture of ``scenario``'s plan pushed as one run, asserted equal to the
    picture of the same plan written one at a time through REST; returns it."""
    group, plan = scenario(client, headers, county, user, today)
    phone = Phone(client, headers)
    bulk_ids = [uuid.uuid4() for _ in plan]
    response = phone.push([phone.mutation("visit", i, data) for i, data in zip(bulk_ids, plan, strict=True)])
    assert {r["status"] for r in response.json["results"]} == {"applied"}
    in_bulk = _task_picture(group, bulk_ids)

    group, plan = scenario(client, headers, county, user, today)
    one_by_one = []
    for data in plan:
        created = client.post("/api/v1/visits", headers=headers, json=data)
        assert created.status_code == 201, created.json
        one_by_one.append(created.json["id"])
    db.session.commit()

    assert in_bulk == _task_picture(group, one_by_one)
    return in_bulk


def test_a_run_settles_tasks_as_one_at_a_time_does(client, auth_headers, county, user, today):
    in_bulk = _run_and_one_by_one(_scenario, client, auth_headers("liaison1"), county, user, today)
    kinds = {(t[0], t[1], t[4]) for t in in_bulk}
    assert (0, "monthly", "done") in kinds and (1, "monthly", "done") in kinds
    assert (1, "revisit", "done") in kinds and (2, "revisit", "done") in kinds
    assert (1, "follow_up", "due") in kinds


def _follow_up_scenario(client, headers, county, user, today):
    """Four people with open follow-ups and revisits, and a run of visits that ask for
    none (the visit day's case), so the run closes them all at once."""
    group = people(county, user, 4)
    earlier = [
        visit_data(group[0], today - timedelta(days=10), "sick", details={"illness": "感冒"}),
        visit_data(group[1], today - timedelta(days=6),
                   follow_up_due=(today + timedelta(days=3)).isoformat()),
        visit_data(group[2], today - timedelta(days=2), "sick", details={"illness": "腰痛"}),
        visit_data(group[3], today, "sick", details={"illness": "头晕"}),
    ]
    for data in earlier:
        assert client.post("/api/v1/visits", headers=headers, json=data).status_code == 201
    db.session.commit()
    plan = [
        visit_data(group[0], today - timedelta(days=1)),
        visit_data(group[0], today),
        visit_data(group[1], today - timedelta(days=6)),  # the same day: not a follow-up
        visit_data(group[2], today - timedelta(days=3)),  # before the sick visit
        visit_data(group[2], today),
        visit_data(group[3], today, "good_news"),  # the same day as the sick visit
    ]
    return group, plan


def test_a_run_closes_follow_ups_as_one_at_a_time_does(client, auth_headers, county, user, today):
    in_bulk = _run_and_one_by_one(_follow_up_scenario, client, auth_headers("liaison1"), county,
                                  user, today)
    follow_ups = {(t[0], t[1]): (t[4], t[5]) for t in in_bulk if t[1] != "monthly"}
    assert follow_ups == {
        (0, "revisit"): ("done", 0),
        (1, "follow_up"): ("due", None),
        (2, "revisit"): ("done", 4),
        (3, "revisit"): ("due", None),
    }


def test_a_task_is_closed_by_the_earliest_later_visit_of_a_run(client, auth_headers, county,
                                                              user, today):
    """Pushed out of date order, a run still names the first later visit, as the rule says."""
    headers = auth_headers("liaison1")
    person = people(county, user, 1)[0]
    sick = visit_data(person, today - timedelta(days=10), "sick", details={"illness": "感冒"})
    assert client.post("/api/v1/visits", headers=headers, json=sick).status_code == 201
    db.session.commit()
    phone = Phone(client, headers)
    later, earlier = uuid.uuid4(), uuid.uuid4()
    phone.push([phone.mutation("visit", later, visit_data(person, today)),
                phone.mutation("visit", earlier, visit_data(person, today - timedelta(days=4)))])
    [revisit] = db.session.scalars(select(VisitTask).where(
        VisitTask.beneficiary_id == person.id, VisitTask.kind == "revisit")).all()
    assert (revisit.status, revisit.done_visit_id) == ("done", earlier)


def test_a_run_with_a_value_no_database_stores_rejects_that_visit_only(
        client, auth_headers, county, user, today):
    """A NUL character (PostgreSQL cannot store it) is the field's error on both backends;
    the run's other visits are written. (A run the database itself refuses falls back to
    one by one: the clash test below.)"""
    person = people(county, user, 1)[0]
    phone = Phone(client, auth_headers("liaison1"))
    ids = [uuid.uuid4() for _ in range(3)]
    response = phone.push([
        phone.mutation("visit", ids[0], visit_data(person, today)),
        phone.mutation("visit", ids[1], {**visit_data(person, today), "summary": "有\x00空字符"}),
        phone.mutation("visit", ids[2], visit_data(person, today, "good_news")),
    ])

    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"] == {"summary": ["含有无法保存的字符，请删除后再提交"]}
    assert visits_in_db(ids) == 2
    for record_id, result in zip(ids, results, strict=True):
        assert len(audit_rows(record_id, "create")) == (result["status"] == "applied")


def test_a_clash_with_a_concurrent_writer_falls_back_to_one_by_one(
        client, auth_headers, county, user, today, monkeypatch):
    """Another request inserted the same id after the run looked (the run's check saw
    nothing): the database refuses the run, and one by one only that visit is refused."""
    person = people(county, user, 1)[0]
    first = Phone(client, auth_headers("liaison1"))
    clash = uuid.uuid4()
    assert first.push([first.mutation("visit", clash, visit_data(person, today))]).status_code == 200
    real = operations.taken_ids
    # the run asks about all its ids at once; one by one asks about one
    monkeypatch.setattr(operations, "taken_ids",
                        lambda model, ids: set() if len(ids) > 1 else real(model, ids))

    phone = Phone(client, auth_headers("liaison1"))
    fresh = uuid.uuid4()
    response = phone.push([
        phone.mutation("visit", fresh, visit_data(person, today)),
        phone.mutation("visit", clash, visit_data(person, today, "good_news")),
    ])

    assert [r["status"] for r in response.json["results"]] == ["applied", "rejected"]
    assert response.json["results"][1]["errors"] == {"id": ["该编号已被使用"]}
    assert row(Visit, clash).visit_type == "monthly"
    assert len(audit_rows(fresh, "create")) == 1
    assert len(audit_rows(clash, "create")) == 1
