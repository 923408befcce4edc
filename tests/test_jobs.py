"""Scheduled work: visit tasks, follow-ups, reminders, housekeeping, backups, the job lock.

The jobs take the current time as an argument, so these tests drive whole months
with a clock of their own (March 2026, county time). Processes that really
commit — two schedulers racing, a restore — get throw-away databases.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, func, select, update

from server.beneficiaries.models import Beneficiary
from server.common.timeutil import utcnow
from server.config import PROJECT_ROOT
from server.extensions import db
from server.feedback.models import Feedback
from server.jobs import backup, housekeeping, reminders, runner, scheduler
from server.jobs.definitions import JOBS
from server.jobs.models import JobRun, SentReminder
from server.mediation.models import MediationCase, MediationSession
from server.notifications import senders
from server.notifications.models import Notification
from server.records import versioning
from server.records.changelog import user_scope
from server.records.entities import registry
from server.records.models import AuditEntry, SyncChange, SyncScope
from server.records.versioning import create_record, update_record
from server.sync.models import SyncClient, SyncMutation
from server.users.models import LoginSession, User
from server.visits import operations as visit_operations
from server.visits import photos, tasks
from server.visits.models import Attachment, Visit, VisitPhoto, VisitTask
from tests import factories, sync_helpers
from tests.apps import make_config

ZONE = ZoneInfo("Asia/Shanghai")
MARCH = [date(2026, 3, day) for day in range(1, 32)]
# the jobs a month drives (the backup writes files and has its own tests)
MONTH_JOBS = [JOBS[name] for name in (
    "monthly_tasks", "follow_up_tasks", "overdue_tasks", "purge_sessions", "purge_sync_log",
    "mediation_reminders", "feedback_reminders",
)]


def county_time(day, hour=12, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def touch(record, moment):
    """Pretend ``record`` was last changed at ``moment`` (the clock of the test)."""
    db.session.execute(update(type(record)).where(type(record).id == record.id)
                       .values(updated_at=moment))
    db.session.commit()


def visit(beneficiary, liaison, visit_type, day, **extra):
    record = visit_operations.create_visit({
        "beneficiary_id": beneficiary.id, "visit_type": visit_type, "visited_on": day,
        "summary": "上门走访", **extra,
    }, liaison)
    db.session.commit()
    return record


def task_of(beneficiary, kind, period="2026-03"):
    return db.session.scalars(select(VisitTask).where(
        VisitTask.beneficiary_id == beneficiary.id, VisitTask.kind == kind,
        VisitTask.period == period, VisitTask.deleted_at.is_(None),
    )).one()


def feedback(number, deadline, status="assigned", **values):
    record = create_record(Feedback(
        receipt_number=f"FK-TEST-{number}", category="rights", text="工资被拖欠", status=status,
        deadline=deadline, reminders_sent=0, **values,
    ), None)
    db.session.commit()
    return record


def notifications(username_to_id):
    rows = db.session.execute(select(Notification.user_id, Notification.kind)).all()
    names = {user_id: name for name, user_id in username_to_id.items()}
    return sorted((names[user_id], kind) for user_id, kind in rows)


# --- a whole month ---------------------------------------------------------------------


def test_a_month_of_jobs_makes_exactly_the_expected_rows(app, county, user):
    admin = user("admin")
    liaison1, liaison2, liaison3 = user("liaison1"), user("liaison2"), user("liaison3")
    a = factories.beneficiary(county.regions["V11"], admin, name="甲")
    b = factories.beneficiary(county.regions["V11"], admin, name="乙")
    c = factories.beneficiary(county.regions["V12"], admin, name="丙")
    e = factories.beneficiary(county.regions["V21"], admin, name="戊")
    factories.beneficiary(county.regions["V21"], admin, name="丁", status="deceased")
    db.session.execute(delete(VisitTask))  # this month's, made at registration: not March's
    db.session.commit()
    task_audits = count(AuditEntry, AuditEntry.entity == "visit_task")

    # mediation: M1 idle since 2 March, M3 touched on 1 and 20 March, M2 resolved long ago
    m1 = create_record(MediationCase(beneficiary_id=a.id, village_id=a.village_id, kind="land",
                                     parties="甲与邻居", opened_on=date(2026, 2, 20),
                                     status="mediating"), None)
    m2 = create_record(MediationCase(beneficiary_id=e.id, village_id=e.village_id, kind="family",
                                     parties="戊家", opened_on=date(2026, 1, 5), status="resolved",
                                     outcome="和解", closed_on=date(2026, 1, 20)), None)
    m3 = create_record(MediationCase(beneficiary_id=c.id, village_id=c.village_id, kind="neighbour",
                                     parties="丙与邻居", opened_on=date(2026, 2, 25),
                                     status="mediating"), None)
    db.session.commit()
    touch(m1, county_time(date(2026, 3, 2), 9))
    touch(m2, county_time(date(2026, 1, 20), 9))
    touch(m3, county_time(date(2026, 3, 1), 10))

    # feedback: F1 to an officer, F2 to a township (answered in time), F3 to nobody, F4 closed
    f1 = feedback(1, date(2026, 3, 20), assigned_user_id=county.users["township1"])
    f2 = feedback(2, date(2026, 3, 10), assigned_region_id=county.regions["T2"])
    f3 = feedback(3, date(2026, 3, 25), status="received")
    f4 = feedback(4, date(2026, 3, 5), status="closed")

    # a monthly visit made on the 1st, before the night's job had run
    c_visit = visit(c, liaison2, "monthly", date(2026, 3, 1))

    outcomes = []
    for day in MARCH:
        if day == date(2026, 3, 5):
            visit(e, liaison3, "sick", day, details={"illness": "感冒"})
        if day == date(2026, 3, 8):
            visit(b, liaison1, "hardship", day, follow_up_due=date(2026, 3, 15))
        if day == date(2026, 3, 9):
            update_record(f2, {"status": "replied", "reply": "已协调"}, admin)
            db.session.commit()
        if day == date(2026, 3, 10):
            a_visit = visit(a, liaison1, "monthly", day)
        if day == date(2026, 3, 14):
            b_good_news = visit(b, liaison1, "good_news", day)
        if day == date(2026, 3, 20):
            session = create_record(MediationSession(case_id=m3.id, village_id=m3.village_id,
                                                     held_on=day, notes="第二次调解"), None)
            db.session.commit()
            touch(session, county_time(day, 10))
        if day == date(2026, 3, 25):
            e_visit = visit(e, liaison3, "monthly", day)
        outcomes += runner.run_due(MONTH_JOBS, county_time(day, 23, 59))

    # every job once a day, each instance run and succeeded
    assert len(outcomes) == 31 * len(MONTH_JOBS)
    assert {outcome for *_rest, outcome in outcomes} == {"succeeded"}
    assert count(JobRun) == 31 * len(MONTH_JOBS)
    assert count(JobRun, JobRun.status == "succeeded") == 31 * len(MONTH_JOBS)

    # visit tasks: four monthly (not the deceased), one follow-up, one revisit
    assert count(VisitTask) == 6
    done = ("done",)
    a_task, b_task, c_task, e_task = (task_of(p, "monthly") for p in (a, b, c, e))
    assert (a_task.status, a_task.done_visit_id, a_task.due_on) == (*done, a_visit.id, date(2026, 3, 18))
    assert (c_task.status, c_task.done_visit_id, c_task.version) == ("done", c_visit.id, 1)
    assert (b_task.status, b_task.overdue_days, b_task.version) == ("overdue", 13, 11)  # 22..31 March
    assert (e_task.status, e_task.done_visit_id, e_task.overdue_days, e_task.version) == (
        "done", e_visit.id, 6, 5)  # overdue 22, 23, 24 March (6 days late on the 24th), done the 25th
    follow_up = task_of(b, "follow_up")
    assert (follow_up.due_on, follow_up.status, follow_up.done_visit_id, follow_up.version) == (
        date(2026, 3, 15), "done", b_good_news.id, 2)
    revisit = task_of(e, "revisit")
    assert (revisit.due_on, revisit.status, revisit.done_visit_id, revisit.overdue_days,
            revisit.version) == (date(2026, 3, 12), "done", e_visit.id, 12, 14)  # 13..24 late
    # every task change went through versioning: one audit row each
    assert count(AuditEntry, AuditEntry.entity == "visit_task") - task_audits == 6 + 29

    # reminders: mediation M1 twice (14 and 28 idle days), M3 once (before its session)
    assert [(r.subject, r.occasion, r.sent_at.astimezone(ZONE).date()) for r in
            db.session.scalars(select(SentReminder).order_by(SentReminder.id))] == [
        (str(m3.id), "2026-03-01#1", date(2026, 3, 15)),
        (str(m1.id), "2026-03-02#1", date(2026, 3, 16)),
        (str(m1.id), "2026-03-02#2", date(2026, 3, 30)),
    ]
    assert [f.reminders_sent for f in (f1, f2, f3, f4)] == [
        reminders.DUE_SOON | reminders.DUE_TODAY | reminders.ESCALATED, reminders.DUE_SOON,
        reminders.DUE_SOON | reminders.DUE_TODAY | reminders.ESCALATED, 0]
    assert count(AuditEntry, AuditEntry.action == "remind") == 7
    assert notifications(county.users) == sorted([
        ("liaison1", "mediation_idle"), ("liaison1", "mediation_idle"),
        ("liaison2", "mediation_idle"),
        ("township1", "feedback_due_soon"), ("township1", "feedback_due_today"),
        ("county1", "feedback_overdue"),
        ("township2", "feedback_due_soon"),
        ("county1", "feedback_due_soon"), ("county1", "feedback_due_today"),
        ("county1", "feedback_overdue"),
    ])
    # notifications reach phones by sync: each is in its user's change log
    notified = db.session.scalars(select(Notification.id)).all()
    logged = db.session.scalars(
        select(SyncChange.record_id).join(SyncScope, SyncScope.id == SyncChange.scope_id)
        .where(SyncChange.entity == "notification",
               SyncScope.key.in_([user_scope(i) for i in county.users.values()]))
    ).all()
    assert sorted(logged) == sorted(notified)

    # the month again: nothing is due, nothing changes
    before = (count(VisitTask), count(Notification), count(AuditEntry), count(JobRun))
    assert runner.run_due(MONTH_JOBS, county_time(date(2026, 3, 31), 23, 59)) == []
    assert runner.run_instance(JOBS["monthly_tasks"], county_time(date(2026, 3, 1), 0, 5)) is None
    assert (count(VisitTask), count(Notification), count(AuditEntry), count(JobRun)) == before


def test_a_run_after_downtime_catches_up(app, county, user):
    factories.beneficiary(county.regions["V11"], user("admin"))
    monthly, overdue = JOBS["monthly_tasks"], JOBS["overdue_tasks"]
    runner.run_due([monthly, overdue], county_time(date(2026, 2, 27), 1))
    # down from the 27th night to the 3rd: every missed monthly run, the latest overdue run
    outcomes = runner.run_due([monthly, overdue], county_time(date(2026, 3, 3), 9))
    assert [(name, instant.astimezone(ZONE).strftime("%m-%d %H:%M"), outcome)
            for name, instant, outcome in outcomes] == [
        ("monthly_tasks", "02-28 00:05", "succeeded"),
        ("monthly_tasks", "03-01 00:05", "succeeded"),
        ("monthly_tasks", "03-02 00:05", "succeeded"),
        ("monthly_tasks", "03-03 00:05", "succeeded"),
        ("overdue_tasks", "03-03 00:25", "succeeded"),
    ]
    results = db.session.scalars(select(JobRun.result).where(JobRun.job_name == "monthly_tasks")
                                 .order_by(JobRun.scheduled_for)).all()
    assert [(r["period"], r["created"]) for r in results] == [
        ("2026-02", 1), ("2026-02", 0), ("2026-03", 1), ("2026-03", 0), ("2026-03", 0)]


def test_a_job_that_never_ran_catches_up_only_its_latest_instance(app):
    outcomes = runner.run_due([JOBS["purge_sessions"]], county_time(date(2026, 3, 20), 9))
    assert [(name, instant) for name, instant, _ in outcomes] == [
        ("purge_sessions", county_time(date(2026, 3, 20), 3))]


def test_a_failed_instance_is_tried_again_up_to_three_times(app):
    calls = []

    def broken(now):
        calls.append(now)
        raise RuntimeError("disk full")

    job = runner.Job("broken", broken, {"hour": 1}, "always fails")
    now = county_time(date(2026, 3, 2), 9)
    for _ in range(5):
        assert runner.run_due([job], now) in ([("broken", county_time(date(2026, 3, 2), 1), "failed")],
                                              [("broken", county_time(date(2026, 3, 2), 1), None)])
    run = db.session.scalars(select(JobRun).where(JobRun.job_name == "broken")).one()
    assert (len(calls), run.status, run.attempts) == (3, "failed", 3)
    assert "disk full" in run.error


HOLDER = """
import sys, time
import sqlalchemy as sa
from datetime import datetime
from server.jobs import runner
engine = sa.create_engine(sys.argv[1])
with runner.held(sys.argv[2], datetime.fromisoformat(sys.argv[3]), engine) as free:
    print("held" if free else "refused", flush=True)
    time.sleep(60)
"""


@contextlib.contextmanager
def another_process_holding(app, job_name, instant):
    """A live process of its own that holds the instance, as a running scheduler does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, app.config["SQLALCHEMY_DATABASE_URI"], job_name,
         instant.isoformat()], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait(10)


def test_a_run_left_running_by_a_dead_process_is_taken_over_at_once(app):
    """Killed mid-job (a host down, kill -9): the next start completes the instance,
    without waiting hours; while its process lives, nobody else takes it."""
    instant = county_time(date(2026, 3, 2), 0, 5)
    db.session.add(JobRun(job_name="monthly_tasks", scheduled_for=instant, status="running",
                          started_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    with another_process_holding(app, "monthly_tasks", instant):
        assert runner.run_instance(JOBS["monthly_tasks"], instant) is None  # alive: skip
    # its process is gone (killed): the instance is free, and taken over now
    assert runner.run_instance(JOBS["monthly_tasks"], instant) == "succeeded"
    run = db.session.scalars(select(JobRun)).one()
    assert (run.status, run.attempts) == ("succeeded", 2)
    assert runner.run_instance(JOBS["monthly_tasks"], instant) is None  # done: once


def test_an_older_instance_of_a_latest_only_job_is_superseded(app, county, user):
    purge, monthly = JOBS["purge_sessions"], JOBS["monthly_tasks"]
    assert runner.run_instance(purge, county_time(date(2026, 3, 3), 3)) == "succeeded"
    assert runner.run_instance(purge, county_time(date(2026, 3, 2), 3)) == "superseded"
    # a job that catches up every instance runs an older one all the same
    factories.beneficiary(county.regions["V11"], user("admin"))
    assert runner.run_instance(monthly, county_time(date(2026, 3, 3), 0, 5)) == "succeeded"
    assert runner.run_instance(monthly, county_time(date(2026, 2, 28), 0, 5)) == "succeeded"
    assert count(VisitTask, VisitTask.period.in_(("2026-02", "2026-03"))) == 2


# --- task rules ------------------------------------------------------------------------


def test_a_person_registered_mid_month_gets_a_task_at_once(app, county, user, today):
    person = factories.beneficiary(county.regions["V11"], user("liaison1"))
    task = task_of(person, "monthly", period=f"{today:%Y-%m}")
    assert task.due_on == max(date(today.year, today.month, 18), today)
    assert task.status == "due"
    assert str(task.id) in {str(r) for r in db.session.scalars(
        select(SyncChange.record_id).where(SyncChange.entity == "visit_task"))}


def _statements_of(action):
    """How many SQL statements ``action()`` sends."""
    sent = []
    listener = lambda *args: sent.append(1)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(sent)


def test_the_1sts_tasks_go_through_the_bulk_path(app, county, user):
    """A task each, with its change-log and audit rows, in the same few statements for 6
    people as for 41: the county's 118,000 are one batch after another, not one person
    after another (2.8 ms each was 5–6 minutes)."""
    admin = user("admin")
    for number in range(6):  # in two villages, as later: a counter bump per village
        factories.beneficiary(county.regions[("V11", "V12")[number % 2]], admin, name=f"甲{number}")
    few = _statements_of(lambda: tasks.ensure_monthly_tasks(date(2031, 1, 1)))
    for number in range(35):
        factories.beneficiary(county.regions["V12"], admin, name=f"乙{number}")
    many = _statements_of(lambda: tasks.ensure_monthly_tasks(date(2031, 2, 1)))
    assert many == few
    made = db.session.scalars(select(VisitTask).where(VisitTask.period == "2031-02")).all()
    assert len(made) == count(Beneficiary, Beneficiary.status == "active",
                              Beneficiary.deleted_at.is_(None))
    ids = {task.id for task in made}
    assert {row for row in db.session.scalars(select(SyncChange.record_id).where(
        SyncChange.entity == "visit_task")) if row in ids} == ids
    assert count(AuditEntry, AuditEntry.entity == "visit_task", AuditEntry.action == "create",
                 AuditEntry.record_id.in_([str(i) for i in ids])) == len(ids)


def test_a_task_the_database_makes_is_the_one_create_records_would_make(
        app, client, auth_headers, county, user):
    """The bulk path writes the 1st's tasks by INSERT … SELECT: each is a record like any
    other (version 1, field versions, a v4 id), with the audit row create_records would
    write, a change-log row numbered in its village's counter, and a pull sends it as
    the schema dumps it; a person visited already this month gets a done task."""
    admin = user("admin")
    people = [factories.beneficiary(county.regions[village], admin, name=f"丙{n}")
              for n, village in enumerate(("V11", "V11", "V12"))]
    visited = visit(people[1], user("liaison1"), "monthly", date(2026, 3, 4))
    counters = dict(db.session.execute(select(SyncScope.key, SyncScope.seq)).all())
    assert tasks.ensure_monthly_tasks(date(2026, 3, 5), admin, checkpoint=db.session.commit) == 3
    made = {task.beneficiary_id: task for task in db.session.scalars(
        select(VisitTask).where(VisitTask.period == "2026-03", VisitTask.kind == "monthly"))}
    assert (made[people[0].id].status, made[people[0].id].done_visit_id) == ("due", None)
    assert (made[people[1].id].status, made[people[1].id].done_visit_id) == ("done", visited.id)
    assert made[people[0].id].due_on == date(2026, 3, 18)
    columns = versioning._columns(made[people[0].id])
    for task in made.values():
        assert (task.version, task.id.version) == (1, 4)
        assert task.created_at == task.updated_at and task.created_at.tzinfo is not None
        assert task.field_versions == {name: 1 for name in columns}
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.record_id == str(task.id))).one()
        assert (entry.action, entry.entity, entry.user_id, entry.username) == (
            "create", "visit_task", admin.id, "admin")
        assert entry.changes == versioning._creation(task, columns)[3]
        change = db.session.scalars(select(SyncChange).where(
            SyncChange.record_id == task.id)).one()
        scope = db.session.get(SyncScope, change.scope_id)
        assert (scope.key, change.kind) == (f"v:{task.village_id}", "upsert")
        assert counters.get(scope.key, 0) < change.seq <= scope.seq
    seqs = db.session.execute(select(SyncChange.scope_id, SyncChange.seq).where(
        SyncChange.record_id.in_([task.id for task in made.values()]))).all()
    assert len(set(seqs)) == 3
    phone = sync_helpers.Phone(client, auth_headers("liaison1"))
    phone.pull_all()
    schema = registry()["visit_task"].dump
    for person in people[:2]:  # liaison1's village
        assert phone.records[("visit_task", str(made[person.id].id))] == schema.dump(
            made[person.id])
    assert ("visit_task", str(made[people[2].id].id)) not in phone.records


def test_the_1sts_run_writes_its_batches_in_sessions_of_their_own(backend, databases,
                                                                 monkeypatch):
    """With real commits (PostgreSQL: two writers at once, each batch its own
    transaction): every active person gets one task, with one change-log row each,
    numbered without gaps or repeats in its village, and one audit row; a second run
    makes none."""
    monkeypatch.setattr(tasks, "VILLAGES_AT_ONCE", 1)  # a batch per village
    with databases.committed_app(backend, "writers") as app, app.app_context():
        ids = app.extensions["lianxin_test_county"]
        admin = db.session.get(User, ids.users["admin"])
        villages = [key for key in ids.regions if key.startswith("V")]
        for number in range(24):
            factories.beneficiary(ids.regions[villages[number % len(villages)]], admin,
                                  name=f"丁{number}")
        db.session.commit()
        active = count(Beneficiary, Beneficiary.status == "active",
                       Beneficiary.deleted_at.is_(None))
        before = dict(db.session.execute(select(SyncScope.key, SyncScope.seq)).all())
        assert tasks._writers() == (tasks.WRITERS if backend == "postgresql" else 1)
        assert runner.run_instance(JOBS["monthly_tasks"], county_time(date(2031, 1, 1), 0, 5)) == "succeeded"
        db.session.remove()
        made = db.session.scalars(select(VisitTask).where(VisitTask.period == "2031-01")).all()
        assert len({task.beneficiary_id for task in made}) == len(made) == active
        changes = db.session.execute(select(SyncScope.key, SyncChange.seq).join(
            SyncScope, SyncScope.id == SyncChange.scope_id).where(
            SyncChange.record_id.in_([task.id for task in made]))).all()
        assert len(changes) == active
        counters = dict(db.session.execute(select(SyncScope.key, SyncScope.seq)).all())
        for key in {key for key, _ in changes}:
            numbered = sorted(seq for k, seq in changes if k == key)
            assert numbered == list(range(before.get(key, 0) + 1, counters[key] + 1))
        assert count(AuditEntry, AuditEntry.entity == "visit_task",
                     AuditEntry.record_id.in_([str(task.id) for task in made])) == active
        assert tasks.ensure_monthly_tasks(date(2031, 1, 2), checkpoint=db.session.commit) == 0


def test_the_month_task_of_a_late_registration_is_due_the_day_it_is_made(app, county, user):
    early = factories.beneficiary(county.regions["V11"], user("admin"), name="早")
    late = factories.beneficiary(county.regions["V11"], user("admin"), name="晚")
    moved = factories.beneficiary(county.regions["V11"], user("admin"), name="迁", status="moved")
    assert tasks.ensure_monthly_task(early, date(2026, 3, 5)).due_on == date(2026, 3, 18)
    assert tasks.ensure_monthly_task(late, date(2026, 3, 25)).due_on == date(2026, 3, 25)
    assert tasks.ensure_monthly_task(moved, date(2026, 3, 5)) is None
    again = tasks.ensure_monthly_task(early, date(2026, 3, 6))
    assert count(VisitTask, VisitTask.period == "2026-03") == 2
    assert again.due_on == date(2026, 3, 18)


def test_follow_up_tasks_follow_their_visit(app, county, user):
    liaison = user("liaison1")
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    source = visit(person, liaison, "hardship", date(2026, 3, 8), follow_up_due=date(2026, 3, 15))
    task = db.session.scalars(select(VisitTask).where(VisitTask.source_visit_id == source.id)).one()
    assert (task.kind, task.due_on, task.period) == ("follow_up", date(2026, 3, 15), "2026-03")

    visit_operations.update_visit(source, {"follow_up_due": date(2026, 4, 2)}, liaison)
    assert (task.due_on, task.period, task.status) == (date(2026, 4, 2), "2026-04", "due")
    visit_operations.update_visit(source, {"follow_up_due": None}, liaison)
    assert task.deleted_at is not None
    visit_operations.update_visit(source, {"follow_up_due": date(2026, 3, 20)}, liaison)
    assert (task.deleted_at, task.due_on) == (None, date(2026, 3, 20))  # the same task, back

    # a visit the same day is not the follow-up; a later one is, and deleting it reopens the task
    visit(person, liaison, "good_news", date(2026, 3, 8))
    assert task.status == "due"
    later = visit(person, liaison, "monthly", date(2026, 3, 12))
    assert (task.status, task.done_visit_id) == ("done", later.id)
    even_later = visit(person, liaison, "good_news", date(2026, 3, 13))
    visit_operations.delete_visit(later, liaison)
    assert (task.status, task.done_visit_id) == ("done", even_later.id)  # handed on
    visit_operations.delete_visit(even_later, liaison)
    assert (task.status, task.done_visit_id) == ("due", None)
    visit_operations.delete_visit(source, liaison)
    assert task.deleted_at is not None


def test_a_sick_visit_asks_for_a_revisit(app, county, user):
    liaison = user("liaison1")
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    plain = visit(person, liaison, "sick", date(2026, 3, 5))
    dated = visit(person, liaison, "sick", date(2026, 3, 6), follow_up_due=date(2026, 3, 9))
    due = dict(db.session.execute(select(VisitTask.source_visit_id, VisitTask.due_on)
                                  .where(VisitTask.kind == "revisit")).all())
    assert due == {plain.id: date(2026, 3, 12), dated.id: date(2026, 3, 9)}
    # the visit of the 6th is the later visit the first one asked for
    first = db.session.scalars(select(VisitTask).where(VisitTask.source_visit_id == plain.id)).one()
    assert (first.status, first.done_visit_id) == ("done", dated.id)


def test_the_nightly_sweep_repairs_a_visit_written_without_operations(app, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    raw = create_record(Visit(beneficiary_id=person.id, village_id=person.village_id,
                              liaison_id=county.users["liaison1"], visit_type="sick",
                              visited_on=date(2026, 3, 5), summary="导入"), None)
    db.session.commit()
    assert tasks.reconcile_follow_ups(utcnow() - timedelta(days=1)) == 1
    assert tasks.reconcile_follow_ups(utcnow() - timedelta(days=1)) == 0
    task = db.session.scalars(select(VisitTask).where(VisitTask.source_visit_id == raw.id)).one()
    assert (task.kind, task.due_on) == ("revisit", date(2026, 3, 12))


def test_overdue_marking_leaves_people_no_longer_active_alone(app, county, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    task = tasks.ensure_monthly_task(person, date(2026, 3, 2))
    person.status = "deceased"
    db.session.commit()
    assert tasks.mark_overdue_tasks(date(2026, 3, 25)) == 0
    assert task.status == "due"


# --- notifications ---------------------------------------------------------------------


class RecordingSender:
    name = "recording"
    best_effort = True
    sent = []

    def send(self, user, message):
        self.sent.append((user.username, message.kind))


class BrokenSender:
    name = "broken"
    best_effort = True

    def send(self, user, message):
        raise ConnectionError("gateway down")


def test_senders_are_chosen_by_configuration(app, user, monkeypatch):
    senders.register_sender(RecordingSender)
    senders.register_sender(BrokenSender)
    RecordingSender.sent = []
    monkeypatch.setitem(app.config, "LIANXIN_NOTIFICATION_SENDERS", "in_app, broken, recording")
    message = senders.Message("test", "标题", "内容")
    assert senders.deliver([user("county1"), user("county1"), user("admin")], message) == 2
    assert RecordingSender.sent == [("county1", "test"), ("admin", "test")]  # after a failure too
    assert count(Notification) == 2
    monkeypatch.setitem(app.config, "LIANXIN_NOTIFICATION_SENDERS", "recording")
    senders.deliver([user("admin")], message)
    assert count(Notification) == 2  # SMS only: nothing in the app
    monkeypatch.setitem(app.config, "LIANXIN_NOTIFICATION_SENDERS", "pigeon")
    with pytest.raises(RuntimeError, match="pigeon"):
        senders.deliver([user("admin")], message)


def test_a_village_without_a_liaison_reminds_its_township(app, county, user):
    person = factories.beneficiary(county.regions["V21"], user("admin"))
    user("liaison3").active = False
    case = create_record(MediationCase(beneficiary_id=person.id, village_id=person.village_id,
                                       kind="labour", parties="戊与老板", opened_on=date(2026, 3, 1),
                                       status="open"), None)
    db.session.commit()
    touch(case, county_time(date(2026, 3, 1)))
    assert reminders.remind_idle_cases(county_time(date(2026, 3, 15), 8)) == 1
    assert reminders.remind_idle_cases(county_time(date(2026, 3, 16), 8)) == 0
    assert notifications(county.users) == [("township2", "mediation_idle")]


# --- housekeeping ----------------------------------------------------------------------


def test_housekeeping_purges_sessions_and_old_sync_bookkeeping_never_audit(app, county, monkeypatch):
    now = utcnow()
    user_id = county.users["liaison1"]
    for revoked, expires in ((None, now + timedelta(days=1)), (now, now + timedelta(days=1)),
                             (None, now - timedelta(seconds=1))):
        db.session.add(LoginSession(user_id=user_id, refresh_jti=uuid.uuid4().hex,
                                    expires_at=expires, revoked_at=revoked))
    scope = SyncScope(key="test-scope", seq=10)
    db.session.add(scope)
    db.session.flush()
    ages = {"upsert": 400, "delete": 181, "left": 181}
    for kind, days in ages.items():
        db.session.add(SyncChange(scope_id=scope.id, entity="visit", record_id=uuid.uuid4(), seq=1,
                                  kind=kind, changed_at=now - timedelta(days=days)))
    db.session.add(SyncChange(scope_id=scope.id, entity="visit", record_id=uuid.uuid4(), seq=2,
                              kind="delete", changed_at=now - timedelta(days=179)))
    db.session.add(SyncClient(id="phone-1", user_id=user_id))
    for mutation_id, days in ((1, 200), (2, 10)):
        db.session.add(SyncMutation(client_id="phone-1", mutation_id=mutation_id, entity="visit",
                                    status="applied", result={},
                                    received_at=now - timedelta(days=days)))
    db.session.commit()
    audits = count(AuditEntry)

    assert housekeeping.purge_login_sessions(now) == 2
    assert count(LoginSession) == 1
    monkeypatch.setitem(app.config, "LIANXIN_SYNC_RETENTION_DAYS", 30)  # never below 180
    assert housekeeping.purge_sync_log(now) == {"tombstones": 2, "mutations": 1}
    assert sorted(db.session.scalars(select(SyncChange.kind).where(SyncChange.scope_id == scope.id))) == [
        "delete", "upsert"]
    assert count(AuditEntry) == audits


# --- the scheduler wiring --------------------------------------------------------------


def test_no_scheduler_in_tests_or_unless_asked(app, monkeypatch):
    assert "lianxin_scheduler" not in app.extensions
    assert scheduler.init_app(app) is None  # TESTING
    monkeypatch.setitem(app.config, "LIANXIN_SCHEDULER", "off")
    monkeypatch.setattr(app, "testing", False)
    assert scheduler.init_app(app) is None


def test_the_scheduler_has_every_job_on_county_time(app):
    built = scheduler.build_scheduler(app, blocking=False)
    assert sorted(job.id for job in built.get_jobs()) == sorted(JOBS)
    first = JOBS["monthly_tasks"].trigger().get_next_fire_time(None, county_time(date(2026, 2, 28), 12))
    assert first == datetime(2026, 3, 1, 0, 5, tzinfo=ZONE)


def test_jobs_commands(runner_cli):
    listed = runner_cli.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0 and "monthly_tasks" in listed.output and "从未运行" in listed.output
    first = runner_cli.invoke(args=["jobs", "run-once", "purge_sessions", "--at", "2026-03-02T03:00"])
    again = runner_cli.invoke(args=["jobs", "run-once", "purge_sessions", "--at", "2026-03-02T03:00"])
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert "succeeded" in first.output and "跳过" in again.output
    assert db.session.scalar(select(JobRun.scheduled_for)) == county_time(date(2026, 3, 2), 3)
    history = runner_cli.invoke(args=["jobs", "list", "--runs", "3"])
    assert "{'deleted': 0}" in history.output
    unknown = runner_cli.invoke(args=["jobs", "run-once", "nothing"])
    assert unknown.exit_code != 0
    caught_up = runner_cli.invoke(args=["jobs", "catch-up", "--at", "2026-03-04T09:00",
                                        "--job", "purge_sessions", "--job", "overdue_tasks"])
    assert caught_up.exit_code == 0, caught_up.output
    assert caught_up.output.splitlines() == [  # the latest missed of each (not the 3rd's purge)
        "purge_sessions @ 2026-03-04 03:00: succeeded",
        "overdue_tasks @ 2026-03-04 00:25: succeeded",
    ]


@pytest.fixture
def runner_cli(app):
    return app.test_cli_runner()


# --- real processes --------------------------------------------------------------------


def _fingerprint():
    """Row count and a checksum of every table, rows in primary-key order."""
    result = {}
    tables = sa.inspect(db.engine).get_table_names()
    metadata = sa.MetaData()
    metadata.reflect(db.engine, only=tables)
    for name in sorted(tables):
        table = metadata.tables[name]
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = db.session.execute(select(table).order_by(*order)).all()
        for row in rows:
            digest.update(repr(tuple(row)).encode())
        result[name] = (len(rows), digest.hexdigest())
    return result


def _fill(app):
    with app.app_context():
        ids = app.extensions["lianxin_test_county"]
        admin = db.session.get(User, ids.users["admin"])
        people = [factories.beneficiary(ids.regions[key], admin, name=f"备份{i}")
                  for i, key in enumerate(("V11", "V12", "V21"))]
        liaison = db.session.get(User, ids.users["liaison1"])
        photo = factories.image_bytes("PNG", size=(20, 10))
        photo_id = uuid.uuid4()
        photos.store(photo_id, photo, "image/png", hashlib.sha256(photo).hexdigest(), liaison)
        visit(people[0], liaison, "sick", date(2026, 3, 5), photo_ids=[str(photo_id)])
        db.session.commit()
        return photo_id


def _read_photo(app, photo_id):
    """The photo as liaison1's phone reads it: (status, bytes)."""
    from server.users.operations import start_session

    with app.app_context():
        liaison = db.session.scalar(select(User).where(User.username == "liaison1"))
        access, _refresh = start_session(liaison)
        db.session.commit()
    response = app.test_client().get(f"/api/v1/attachments/{photo_id}",
                                     headers={"Authorization": f"Bearer {access}"})
    return response.status_code, response.data


def _backup_and_restore(app, tmp_path, photo_id):
    cli = app.test_cli_runner()
    with app.app_context():
        before = _fingerprint()
        photo_before = photos.photo_store().read(db.session.get(Attachment, photo_id).file_key)
        made = cli.invoke(args=["backup", "create", "--dir", str(tmp_path)])
        assert made.exit_code == 0, made.output
        assert "新增 1 张" in made.output
        again = cli.invoke(args=["backup", "create", "--dir", str(tmp_path)])  # only new files
        assert again.exit_code == 0 and "新增 0 张" in again.output, again.output
        (file,) = [p for p in tmp_path.iterdir() if p.name.startswith("lianxin-")]
        # life goes on after the backup, then the database and the photo folder are lost
        db.session.execute(delete(VisitTask))
        db.session.execute(delete(VisitPhoto))
        db.session.execute(delete(Attachment))
        db.session.execute(update(User).values(display_name="改过"))
        db.session.commit()
        assert _fingerprint() != before
        shutil.rmtree(photos.photo_store().root)
        refused = cli.invoke(args=["backup", "restore", str(file)])
        assert refused.exit_code != 0 and "--yes" in refused.output
        restored = cli.invoke(args=["backup", "restore", str(file), "--yes"])
        assert restored.exit_code == 0, restored.output
        assert "恢复 1 张" in restored.output
        db.session.remove()
        assert _fingerprint() == before
        assert any(p.name.startswith("pre-restore-") for p in tmp_path.iterdir())
        db.session.remove()
        db.engine.dispose()
    assert _read_photo(app, photo_id) == (200, photo_before)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_restore_names_the_photos_found_nowhere(databases, tmp_path):
    with databases.committed_app("sqlite", "backup", LIANXIN_BACKUP_DIR=str(tmp_path)) as app:
        _fill(app)
        cli = app.test_cli_runner()
        with app.app_context():
            made = cli.invoke(args=["backup", "create", "--dir", str(tmp_path)])
            assert made.exit_code == 0, made.output
            (file,) = [p for p in tmp_path.iterdir() if p.name.startswith("lianxin-")]
            shutil.rmtree(tmp_path / backup.PHOTOS)
            shutil.rmtree(photos.photo_store().root)
            restored = cli.invoke(args=["backup", "restore", str(file), "--yes"])
            assert restored.exit_code != 0
            assert "有 1 张在照片目录和备份中都找不到" in restored.output
            db.session.remove()
            db.engine.dispose()


def test_backup_then_restore_gives_the_same_rows_on_sqlite(databases, tmp_path):
    with databases.committed_app("sqlite", "backup", LIANXIN_BACKUP_DIR=str(tmp_path)) as app:
        _backup_and_restore(app, tmp_path, _fill(app))


def test_backups_are_pruned_to_the_newest_ones(app, tmp_path):
    for stamp in ("20260301-0230", "20260302-0230", "20260303-0230", "20260304-0230"):
        (tmp_path / f"lianxin-{stamp}.db").write_bytes(b"x")
    (tmp_path / "pre-restore-20260301-0900.db").write_bytes(b"x")
    assert backup.prune_backups(tmp_path, keep=2) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lianxin-20260303-0230.db", "lianxin-20260304-0230.db", "pre-restore-20260301-0900.db"]


@pytest.fixture
def postgres_app(databases, tmp_path):
    """A committed app on PostgreSQL (its backups in ``tmp_path``), whatever the run's backend."""
    with databases.committed_app("postgresql", "jobs", LIANXIN_BACKUP_DIR=str(tmp_path)) as app:
        yield app


def _flask(url, tmp_path, *args):
    config = make_config(url)
    env = {**os.environ, "DATABASE_URL": url, "LIANXIN_SCHEDULER": "off",
           "LIANXIN_BACKUP_DIR": str(tmp_path / "backups"),
           **{key: config[key] for key in ("SECRET_KEY", "JWT_SECRET_KEY", "LIANXIN_DATA_KEY")}}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", *args],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_schedulers_started_together_run_each_job_once(postgres_app, tmp_path):
    app = postgres_app
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        ids = app.extensions["lianxin_test_county"]
        admin = db.session.get(User, ids.users["admin"])
        for number in range(12):
            factories.beneficiary(ids.regions[("V11", "V12", "V21")[number % 3]], admin)
        # the last night before the server went down
        db.session.add(JobRun(job_name="monthly_tasks", status="succeeded",
                              scheduled_for=county_time(date(2026, 2, 27), 0, 5)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    # two scheduler processes start at the same moment and catch up
    processes = [_flask(url, tmp_path, "jobs", "catch-up", "--at", "2026-03-03T09:00:00+08:00",
                        "--job", "monthly_tasks", "--job", "overdue_tasks") for _ in range(2)]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out + err
    output = "".join(out for out, _err in outputs)
    # monthly 28 Feb, 1, 2, 3 March and overdue 3 March: each run by one of the two
    assert output.count(": succeeded") == 5, output

    with app.app_context():
        runs = db.session.execute(select(JobRun.job_name, JobRun.status, JobRun.attempts)
                                  .order_by(JobRun.job_name, JobRun.scheduled_for)).all()
        assert runs == [("monthly_tasks", "succeeded", 1)] * 5 + [("overdue_tasks", "succeeded", 1)]
        periods = db.session.execute(select(VisitTask.period, func.count())
                                     .group_by(VisitTask.period).order_by(VisitTask.period)).all()
        this_month = f"{utcnow().astimezone(ZONE):%Y-%m}"  # made at registration
        assert periods == [("2026-02", 12), ("2026-03", 12), (this_month, 12)]
        db.session.remove()
        db.engine.dispose()


def _pg_dump_major():
    completed = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True)
    return int(completed.stdout.split()[-1].split(".")[0]) if completed.returncode == 0 else 0


def test_backup_then_restore_gives_the_same_rows_on_postgresql(postgres_app, tmp_path):
    with postgres_app.app_context():
        server_version = int(db.session.execute(sa.text("SHOW server_version_num")).scalar())
        db.session.remove()
    if _pg_dump_major() != server_version // 10000:
        pytest.skip("pg_dump's version differs from the server's")
    _backup_and_restore(postgres_app, tmp_path, _fill(postgres_app))
