"""The monthly dashboard and the monthly report PDF (issue 5)."""

from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from server.contacts import operations as contacts
from server.extensions import db
from server.feedback import operations as feedback
from server.mediation.models import MediationCase
from server.records.versioning import create_record
from server.sync.models import SyncClient, SyncConflict
from server.visits import operations as visits
from server.visits.models import VisitTask
from tests import factories

URL = "/api/v1/dashboard"
REPORT = "/api/v1/reports/monthly.pdf"


def month_of(day):
    return day.strftime("%Y-%m")


@pytest.fixture
def month_day(today):
    """The 18th of last month (its visit day): the month the dashboard looks at."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=18)


@pytest.fixture
def county_month(county, user, month_day, today):
    """Seven people with monthly tasks of last month in three villages, visits that
    close some of them, overdue follow-ups, open mediation cases, a conflict and a
    quiet phone. See each test for the expected counts."""
    admin = user("admin")
    month = month_of(month_day)
    people = {}

    def person(key, village, **values):
        people[key] = factories.beneficiary(county.regions[village], admin, name=key, **values)
        return people[key]

    def task(who, kind="monthly", status="due", period=month, overdue_days=0, due_on=month_day):
        record = create_record(VisitTask(
            beneficiary_id=who.id, village_id=who.village_id, kind=kind, period=period,
            due_on=due_on, status=status, overdue_days=overdue_days), None)
        db.session.commit()
        return record

    def visit(who, liaison, visit_type="monthly", day=month_day, **values):
        record = visits.create_visit({"beneficiary_id": who.id, "visit_type": visit_type,
                                      "visited_on": day, "summary": f"{who.name}走访",
                                      **values}, user(liaison))
        db.session.commit()
        return record

    for key, village in (("甲一", "V11"), ("甲二", "V11"), ("甲三", "V11"), ("乙一", "V12"),
                         ("乙二", "V12"), ("丙一", "V21"), ("丙二", "V21")):
        person(key, village)
    dead = person("甲故", "V11")
    dead.status = "deceased"
    db.session.commit()
    for key in ("甲一", "甲三", "乙一", "丙一", "丙二", "甲故"):
        task(people[key])
    task(people["甲二"], status="overdue", overdue_days=5)
    task(people["乙二"], status="overdue", overdue_days=5)
    # follow-ups: one overdue from the month before, one overdue of this month, one not due
    earlier = month_day - timedelta(days=31)
    task(people["甲一"], kind="follow_up", status="overdue", period=month_of(earlier),
         due_on=earlier, overdue_days=40)
    task(people["乙一"], kind="revisit", status="overdue", due_on=month_day)
    task(people["乙二"], kind="follow_up", status="due", due_on=month_day)

    visit(people["甲一"], "liaison1")
    visit(people["甲一"], "liaison1", day=month_day + timedelta(days=1))  # counted once
    visit(people["甲三"], "liaison1")
    visit(people["乙一"], "liaison2")
    visit(people["丙一"], "liaison3")
    visit(people["甲一"], "liaison1", visit_type="sick", details={"illness": "感冒"})
    visit(people["乙二"], "liaison2", visit_type="hardship", needs="屋顶漏雨")
    visit(people["丙二"], "liaison3", visit_type="sick")
    visit(people["甲三"], "liaison1", day=today)  # this month: for the "people" basis

    end = month_day.replace(day=1) + timedelta(days=40)
    end = end.replace(day=1) - timedelta(days=1)  # the month's last day
    for key, status, age in (("甲一", "open", 3), ("甲二", "mediating", 40),
                             ("丙一", "open", 100), ("乙一", "resolved", 10)):
        who = people[key]
        create_record(MediationCase(
            beneficiary_id=who.id, village_id=who.village_id, kind="family", parties="甲；乙",
            opened_on=end - timedelta(days=age), status=status,
            outcome="已调解" if status == "resolved" else None,
            closed_on=end if status == "resolved" else None), None)
    db.session.add(SyncConflict(
        entity="beneficiary", record_id=people["甲一"].id, village_id=people["甲一"].village_id,
        client_id="phone-dash-1", mutation_id=1, user_id=user("liaison1").id, base_version=1,
        server_version=2, fields={"phone": {"mine": "13911112222", "server": "13800138000"}}))
    long_ago = month_day - timedelta(days=20)
    from datetime import UTC, datetime, time

    quiet = datetime.combine(long_ago, time(9), tzinfo=UTC)
    db.session.add(SyncClient(id="phone-dash-quiet", user_id=user("liaison2").id,
                              last_mutation_id=3, outbox_size=4, created_at=quiet,
                              last_push_at=quiet))
    db.session.commit()
    return people


def get(client, headers, **query):
    response = client.get(URL, query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def by_name(rows):
    return {row["name"]: row for row in rows}


def test_county_view_by_township(client, auth_headers, county_month, month_day):
    body = get(client, auth_headers("county1"), month=month_of(month_day))
    assert body["level"] == "county" and body["basis"] == "tasks"
    rows = by_name(body["rows"])
    assert list(rows) == ["一号镇", "二号镇"]
    one, two = rows["一号镇"], rows["二号镇"]
    assert (one["due"], one["done"], one["rate"]) == (5, 3, 0.6)
    assert (two["due"], two["done"], two["rate"]) == (2, 1, 0.5)
    assert (one["overdue_monthly"], one["overdue_follow_ups"]) == (2, 2)
    assert (two["overdue_monthly"], two["overdue_follow_ups"]) == (0, 0)
    assert (one["open_cases"], two["open_cases"]) == (2, 1)
    assert (one["sick"], one["hardship"], two["sick"], two["hardship"]) == (1, 1, 1, 0)
    totals = body["totals"]
    assert (totals["due"], totals["done"], totals["rate"]) == (7, 4, round(4 / 7, 4))
    assert body["tasks"]["monthly"] == {"due": 2, "done": 4, "overdue": 2}
    assert body["mediation"]["by_status"] == {"open": 2, "mediating": 1}
    assert body["mediation"]["by_age"] == {"0-7": 1, "8-30": 0, "31-90": 1, "90+": 1}
    care = {(v["beneficiary_name"], v["visit_type"]) for v in body["care_visits"]}
    assert care == {("甲一", "sick"), ("乙二", "hardship"), ("丙二", "sick")}
    assert body["not_visited"] is None
    assert body["conflicts"] == 1 and body["stale_devices"] == 1


def test_drill_into_villages_and_people_not_visited(client, auth_headers, county, county_month,
                                                    month_day, today):
    headers = auth_headers("county1")
    month = month_of(month_day)
    body = get(client, headers, month=month, township_id=county.regions["T1"])
    assert body["level"] == "township" and body["township"]["name"] == "一号镇"
    rows = by_name(body["rows"])
    assert list(rows) == ["一号镇甲村", "一号镇乙村"]
    assert (rows["一号镇甲村"]["due"], rows["一号镇甲村"]["done"]) == (3, 2)
    assert rows["一号镇甲村"]["rate"] == 0.6667
    assert (rows["一号镇乙村"]["due"], rows["一号镇乙村"]["done"]) == (2, 1)
    assert rows["一号镇乙村"]["overdue_follow_ups"] == 1

    body = get(client, headers, month=month, village_id=county.regions["V11"])
    assert body["level"] == "village" and body["village"]["name"] == "一号镇甲村"
    assert [row["name"] for row in body["rows"]] == ["一号镇甲村"]
    # late by the days since the task's due date today, not by last night's stored count
    assert [(p["name"], p["task_status"], p["overdue_days"]) for p in body["not_visited"]] == [
        ("甲二", "overdue", (today - month_day).days)]
    assert "*" in body["not_visited"][0]["id_number"]
    assert body["mediation"]["by_status"] == {"open": 1, "mediating": 1}


def test_township_officer_sees_only_their_township(client, auth_headers, county, county_month,
                                                   month_day):
    headers = auth_headers("township1")
    month = month_of(month_day)
    body = get(client, headers, month=month)
    assert [row["name"] for row in body["rows"]] == ["一号镇"]
    assert (body["totals"]["due"], body["totals"]["done"]) == (5, 3)
    assert body["mediation"]["by_status"] == {"open": 1, "mediating": 1}
    assert all(v["village_name"].startswith("一号镇") for v in body["care_visits"])
    assert body["stale_devices"] == 1 and body["conflicts"] == 1
    for query in ({"township_id": county.regions["T2"]}, {"village_id": county.regions["V21"]}):
        refused = client.get(URL, query_string={"month": month, **query}, headers=headers)
        assert refused.status_code == 422
        assert set(refused.json["errors"]) == set(query)
    assert client.get(URL, headers=auth_headers("liaison1")).status_code == 403
    bad = client.get(URL, query_string={"month": "2026-1"}, headers=headers)
    assert bad.status_code == 422 and "month" in bad.json["errors"]


def test_a_month_without_tasks_counts_the_people_registered(client, auth_headers, county, user,
                                                            county_month, month_day, today):
    """Months from before the scheduler made tasks: 应访 is the active people registered
    by the month's end."""
    earlier = (month_day.replace(day=1) - timedelta(days=1)).replace(day=18)
    for person in county_month.values():
        person.created_at = person.created_at - timedelta(days=400)
    db.session.commit()
    visits.create_visit({"beneficiary_id": county_month["甲三"].id, "visit_type": "monthly",
                         "visited_on": earlier, "summary": "走访"}, user("liaison1"))
    db.session.commit()
    body = get(client, auth_headers("county1"), month=month_of(earlier),
               village_id=county.regions["V11"])
    assert body["basis"] == "people"
    assert (body["totals"]["due"], body["totals"]["done"]) == (3, 1)
    assert sorted(p["name"] for p in body["not_visited"]) == ["甲一", "甲二"]
    # no tasks that month: late by the days since that month's visit day
    assert {(p["task_status"], p["overdue_days"]) for p in body["not_visited"]} == {
        ("overdue", (today - earlier).days)}


def test_the_top_is_named_after_the_user_and_a_low_rate_is_late_only_after_the_visit_day(
        app, client, auth_headers, county, county_month, month_day, today):
    body = get(client, auth_headers("township1"), month=month_of(month_day))
    assert body["scope"]["name"] == "一号镇" and body["scope"]["level"] == "township"
    county_body = get(client, auth_headers("county1"), month=month_of(month_day))
    assert county_body["scope"]["level"] == "county"
    visit_day = month_day.replace(day=app.config["LIANXIN_VISIT_DAY"])
    assert body["visit_day"] == visit_day.isoformat() and body["visit_day_passed"] is True
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert get(client, auth_headers("county1"),
               month=month_of(next_month))["visit_day_passed"] is False


# --- the monthly report ------------------------------------------------------------------


def pdf_pages(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    return [page.extract_text() for page in PdfReader(BytesIO(response.data)).pages]


def squeeze(text):
    return "".join(text.split())


def test_monthly_report_has_a_page_per_township(client, auth_headers, county_month, month_day):
    month = month_of(month_day)
    pages = pdf_pages(client.get(REPORT, query_string={"month": month},
                                 headers=auth_headers("county1")))
    assert len(pages) == 3  # the county summary, then one page per township
    summary, one, two = (squeeze(page) for page in pages)
    label = f"{month_day.year}年{month_day.month}月"
    assert "全县汇总" in summary and label in summary
    assert "应访7人，已访4人，完成率57.1%" in summary
    assert "一号镇" in summary and "二号镇" in summary
    assert "一号镇" + label in one
    assert "应访5人，已访3人，完成率60.0%" in one
    assert "一号镇甲村3266.7%" in one  # village row: 应访 3, 已访 2, 66.7%
    assert "每月走访逾期未访2人；跟进回访逾期2件" in one
    assert "在办2件（已受理1件，调解中1件）" in one
    assert "本月已调解1件" in one
    assert "本月生病上门探望1次，困难上门帮扶1次" in one
    assert "二号镇" + label in two
    assert "应访2人，已访1人，完成率50.0%" in two
    assert "在办1件（已受理1件，调解中0件）" in two


def test_monthly_report_of_a_township_officer(client, auth_headers, county, county_month,
                                              month_day, today, user):
    person = factories.beneficiary(county.regions["V11"], user("admin"), name="务工甲",
                                   is_migrant=True, work_city="广州")
    card = contacts.create_card({"beneficiary_id": person.id}, user("liaison1"))
    feedback.submit({"category": "policy", "text": "咨询", "phone": "13900001111"}, card)
    db.session.commit()
    headers = auth_headers("township1")
    pages = pdf_pages(client.get(REPORT, query_string={"month": month_of(today)},
                                 headers=headers))
    assert len(pages) == 1
    page = squeeze(pages[0])
    assert "一号镇" in page and "二号镇" not in page
    assert "本月收到征求意见1件，已答复0件，已办结0件，办结率0.0%" in page
    refused = client.get(REPORT, query_string={"township_id": county.regions["T2"]},
                         headers=headers)
    assert refused.status_code == 422 and "township_id" in refused.json["errors"]
    assert client.get(REPORT, headers=auth_headers("liaison1")).status_code == 403


def test_the_people_not_visited_export_as_a_ledger_like_the_list(app, client, auth_headers,
                                                                 county, county_month, month_day,
                                                                 today, tmp_path, monkeypatch):
    from io import BytesIO

    from openpyxl import load_workbook

    monkeypatch.setitem(app.config, "LIANXIN_EXPORT_INLINE", True)
    monkeypatch.setitem(app.config, "LIANXIN_EXPORT_DIR", str(tmp_path))
    headers = auth_headers("township1")
    month = month_of(month_day)
    listed = get(client, headers, month=month, village_id=county.regions["V11"])["not_visited"]
    job = client.post("/api/v1/exports", headers=headers,
                      json={"kind": "not_visited", "month": month,
                            "village_id": str(county.regions["V11"])}).json
    assert job["status"] == "done", job
    assert job["file_name"] == f"未访人员名单-{month}.xlsx"
    data = client.get(f"/api/v1/exports/{job['job_id']}/file", headers=headers).data
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].endswith(f"未访人员名单（{month_day.year}年{month_day.month}月）")
    assert rows[1] == ("序号", "乡镇", "村（居）", "姓名", "身份证号", "优抚类别", "联系电话",
                       "住址", "任务状态", "逾期天数")
    assert [(r[3], r[8], r[9]) for r in rows[2:]] == [
        (p["name"], "已逾期", p["overdue_days"]) for p in listed]
    assert all("*" in r[4] for r in rows[2:])
    # the whole township: both villages' people not visited, never another township's
    job = client.post("/api/v1/exports", headers=headers,
                      json={"kind": "not_visited", "month": month}).json
    data = client.get(f"/api/v1/exports/{job['job_id']}/file", headers=headers).data
    rows = list(load_workbook(BytesIO(data)).worksheets[0].iter_rows(values_only=True))[2:]
    assert {r[2] for r in rows} <= {"一号镇甲村", "一号镇乙村"} and len(rows) >= len(listed)
