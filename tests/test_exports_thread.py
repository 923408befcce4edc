"""A ledger export written by a background thread, on a database of its own (real commits:
the thread cannot see a test's uncommitted transaction)."""

import threading
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from server.common.timeutil import county_today
from server.extensions import db
from server.users.models import User
from server.visits import operations as visits
from tests import factories

URL = "/api/v1/exports"


@pytest.fixture
def app(backend, databases):
    """Replaces conftest's: a committed app of its own, exports in a background thread."""
    with databases.committed_app(backend, "thread", LIANXIN_EXPORT_INLINE=False) as app:
        yield app


def test_export_runs_in_a_background_thread(app):
    """On a database of its own (real commits): the job is answered at once, written by a
    thread, its progress readable meanwhile, the file served when done."""
    with app.app_context():
        ids = app.extensions["lianxin_test_county"]
        liaison = db.session.get(User, ids.users["liaison1"])
        for number in range(5):
            person = factories.beneficiary(ids.regions["V11"], liaison, name=f"人{number}")
            visits.create_visit({"beneficiary_id": person.id, "visit_type": "monthly",
                                 "visited_on": county_today() - timedelta(days=1),
                                 "summary": "走访"}, liaison)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    login = client.post("/api/v1/auth/login",
                        json={"username": "county1", "password": factories.PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    started = client.post(URL, json={"kind": "visits"}, headers=headers)
    assert started.status_code == 202
    assert started.json["status"] in ("queued", "running", "done")
    threads = [t for t in threading.enumerate() if t.name == f"export-{started.json['job_id']}"]
    for thread in threads:
        thread.join(30)
    status = client.get(f"{URL}/{started.json['job_id']}", headers=headers).json
    assert (status["status"], status["rows"], status["progress"]) == ("done", 5, 1.0)
    response = client.get(f"{URL}/{started.json['job_id']}/file", headers=headers)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).worksheets[0]
    assert [row[3].value for row in sheet.iter_rows(min_row=3)] == [f"人{n}" for n in range(5)]
