"""The day's rules on the days they get wrong.

Every test here runs once per instant of ``tests.clock.CALENDAR`` (the 1st, the
18th, the 31st, half an hour into the new year in the county while UTC is still
in the old one, 29 February), with the whole process moved there by
time-machine: "today" is the county's day by the app's clock, never the
machine's date or UTC's.
"""

import uuid
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select

from server.common.idnumbers import IdNumber
from server.common.timeutil import county_today, utcnow, visit_day_for
from server.extensions import db
from server.feedback.models import Feedback
from server.visits.models import Visit, VisitTask
from tests import factories
from tests.clock import CALENDAR, COUNTY
from tests.sync_helpers import Phone

pytestmark = pytest.mark.calendar


def test_today_is_the_countys_day(app, calendar_instant):
    now = utcnow()
    assert abs(now - calendar_instant) < timedelta(minutes=5)
    assert county_today() == calendar_instant.astimezone(COUNTY).date()
    if calendar_instant == CALENDAR["new-year"]:
        assert (county_today(), now.astimezone(UTC).date()) == (date(2027, 1, 1),
                                                                date(2026, 12, 31))


def _visit(beneficiary, day):
    return {"beneficiary_id": str(beneficiary.id), "visit_type": "monthly",
            "visited_on": day.isoformat(), "summary": "身体尚好"}


def test_a_visit_of_today_is_kept_one_of_tomorrow_refused(client, auth_headers,
                                                          dummy_beneficiary):
    today, headers = county_today(), auth_headers("liaison1")
    kept = client.post("/api/v1/visits", json=_visit(dummy_beneficiary, today), headers=headers)
    assert kept.status_code == 201, kept.json
    refused = client.post("/api/v1/visits", json=_visit(dummy_beneficiary, today + timedelta(1)),
                          headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"visited_on": ["不能晚于今天"]}

    phone = Phone(client, headers)
    results = phone.push([
        phone.mutation("visit", uuid.uuid4(), _visit(dummy_beneficiary, today + timedelta(1))),
        phone.mutation("visit", uuid.uuid4(), _visit(dummy_beneficiary, today)),
    ]).json["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["errors"] == {"visited_on": ["不能晚于今天"]}
    assert sorted(db.session.scalars(select(Visit.visited_on))) == [today, today]


def test_an_id_number_born_today_is_valid_tomorrow_not(app):
    today = county_today()
    assert IdNumber.problem(IdNumber.compose("510822", today, 11).digits) is None
    tomorrow = IdNumber.compose("510822", today + timedelta(days=1), 11).digits
    assert IdNumber.problem(tomorrow) == "身份证号中的出生日期无效"


def test_a_person_registered_today_is_due_this_months_visit(app, county, user):
    today = county_today()
    person = factories.beneficiary(county.regions["V11"], user("admin"))
    [task] = db.session.scalars(select(VisitTask).where(
        VisitTask.beneficiary_id == person.id, VisitTask.kind == "monthly")).all()
    assert task.period == f"{today:%Y-%m}"
    assert task.due_on == max(visit_day_for(today.year, today.month), today)
    assert task.status == "due"


def test_a_feedback_receipt_carries_the_countys_day(app, client):
    today = county_today()
    response = client.post("/api/v1/feedback/public",
                           json={"category": "policy", "text": "请问优待金什么时候发？",
                                 "phone": "13900001111", "stamp": factories.public_stamp()})
    assert response.status_code == 201, response.json
    assert response.json["receipt_number"][2:10] == f"{today:%Y%m%d}"
    assert response.json["deadline"] == (today + timedelta(days=15)).isoformat()
    stored = db.session.scalar(select(Feedback))
    assert stored.created_at.astimezone(COUNTY).date() == today
