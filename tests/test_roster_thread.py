"""A roster import on a database of its own (real commits): run by a background thread,
and a run that crashes halfway leaves committed batches a re-run of the same file
completes — nothing twice, nothing missing."""

import io
import threading

import pytest
from sqlalchemy import func, select

from server.beneficiaries import operations as beneficiaries
from server.beneficiaries.models import Beneficiary
from server.extensions import db
from server.records.models import SyncChange
from server.roster import operations, runner
from server.visits.models import VisitTask
from tests import factories
from tests.test_roster import number, person, workbook


@pytest.fixture
def app(backend, databases, tmp_path):
    with databases.committed_app(backend, "roster", LIANXIN_ROSTER_INLINE=False,
                                 LIANXIN_ROSTER_DIR=str(tmp_path / "roster")) as app:
        yield app


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_crash_midway_leaves_a_state_a_rerun_completes(app, monkeypatch):
    monkeypatch.setattr(operations, "BATCH", 4)
    rows = [person(f"批{i}", number(serial=100 + i)) for i in range(10)]
    data = workbook(rows)
    real = beneficiaries.create_beneficiaries
    calls = []

    def crash_on_the_second_batch(items, actor):
        calls.append(len(items))
        if len(calls) == 2:
            raise RuntimeError("the server died")
        return real(items, actor)

    with app.app_context():
        monkeypatch.setattr(operations, "create_beneficiaries", crash_on_the_second_batch)
        job_id = operations.start_import(io.BytesIO(data), "批量.xlsx", False, None).id
        db.session.commit()
        assert runner.run_committing(app, job_id) is None
        db.session.remove()
        failed = db.session.get(operations.RosterImport, job_id)
        assert failed.status == "failed" and failed.error == operations.FAILED
        assert _count(Beneficiary) == 4  # the first batch, committed whole
        assert _count(VisitTask) == 4

        monkeypatch.setattr(operations, "create_beneficiaries", real)
        again_id = operations.start_import(io.BytesIO(data), "批量.xlsx", False, None).id
        db.session.commit()
        result = runner.run_committing(app, again_id)
        assert result.summary() == {"created": 6, "updated": 0, "unchanged": 4, "errors": []}
        db.session.remove()
        assert _count(Beneficiary) == 10
        assert _count(VisitTask) == 10
        assert db.session.scalar(select(func.count()).select_from(SyncChange).where(
            SyncChange.entity == "beneficiary")) == 10
        db.session.remove()


def test_the_import_runs_in_a_background_thread(app):
    client = app.test_client()
    login = client.post("/api/v1/auth/login",
                        json={"username": "township1", "password": factories.PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    data = workbook([person(f"线{i}", number(serial=300 + i), village="510801002")
                     for i in range(3)])
    started = client.post("/api/v1/roster/imports", headers=headers,
                          content_type="multipart/form-data",
                          data={"file": (io.BytesIO(data), "线程.xlsx"), "dry_run": "false"})
    assert started.status_code == 202, started.json
    assert started.json["status"] in ("queued", "running", "done")
    for thread in [t for t in threading.enumerate() if t.name == f"roster-{started.json['id']}"]:
        thread.join(30)
    status = client.get(f"/api/v1/roster/imports/{started.json['id']}", headers=headers).json
    assert (status["status"], status["rows_done"], status["created"]) == ("done", 3, 3)
