"""Ledgers (台账) as Excel: each workbook opened again and checked cell by cell (issue 5)."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from server.beneficiaries.models import Beneficiary
from server.common.choices import (
    BENEFICIARY_CATEGORIES,
    HEALTH_EVENT_KINDS,
    MEDIATION_KINDS,
    MEDIATION_STATUS,
    REVIEW_STATUS,
    VISIT_TYPES,
)
from server.common.crypto import decrypt
from server.common.timeutil import county_zone
from server.contacts import operations as contacts
from server.exports.models import ExportJob
from server.extensions import db
from server.health import operations as health
from server.mediation import operations as mediation
from server.records.models import AuditEntry
from server.regions.models import Region
from server.users.models import User
from server.visits import operations as visits
from server.visits.models import Visit
from tests import factories

URL = "/api/v1/exports"
FRESH = "/api/v1/auth/fresh"


@pytest.fixture(autouse=True)
def inline_exports(app, tmp_path):
    """Jobs run inside the request here (the test's data is one uncommitted transaction);
    the threaded path is tested on a database of its own below."""
    keys = ("LIANXIN_EXPORT_INLINE", "LIANXIN_EXPORT_DIR")
    saved = {key: app.config[key] for key in keys if key in app.config}
    app.config.update(LIANXIN_EXPORT_INLINE=True, LIANXIN_EXPORT_DIR=str(tmp_path))
    yield
    for key in keys:
        app.config.pop(key, None)
    app.config.update(saved)


@pytest.fixture
def last_month(today):
    return today.replace(day=1) - timedelta(days=12)


def export(client, headers, **body):
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 202, response.json
    job = response.json
    assert job["status"] == "done", job
    return job


def download(client, headers, job):
    response = client.get(f"{URL}/{job['job_id']}/file", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    return book.worksheets[0]


def cells(sheet):
    """The ledger's table: its header and rows (row 1 is the printed title)."""
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]


def place(village_id):
    village = db.session.get(Region, village_id)
    return [village.parent.name, village.name]


def local(value):
    """A UTC stamp as the ledger shows it: county time to the minute, read back as
    normalise() reads cells (a stamp at exactly midnight comes back as a day)."""
    if not value:
        return None
    return normalise([value.astimezone(county_zone()).replace(tzinfo=None, second=0,
                                                               microsecond=0)])[0]


def minutes(value):
    return value.replace(second=0, microsecond=0) if isinstance(value, datetime) else value


def as_day(value):
    return value.date() if isinstance(value, datetime) else value


def id_of(person, full):
    return decrypt(person.id_number_encrypted) if full else person.id_number_masked


# --- visits ------------------------------------------------------------------------------


@pytest.fixture
def visit_book(county, user, last_month, today):
    """Visits of last month in three villages, of several kinds and review states."""
    admin = user("admin")
    made = []
    plan = (
        ("V11", "liaison1", "张大", "monthly", {"needs": "希望修路", "actions": "已上报",
                                               "location": {"lat": 31.51, "lng": 107.123456}}),
        ("V11", "liaison1", "=SUM(A1)", "sick", {"summary": "=1+1 住院", "follow_up_due": today}),
        ("V12", "liaison2", "李二", "hardship", {}),
        ("V21", "liaison3", "赵三", "monthly", {}),
    )
    for number, (village, liaison, name, visit_type, extra) in enumerate(plan):
        person = factories.beneficiary(county.regions[village], admin, name=name,
                                       category="martyr_family" if number else
                                       "demobilized_veteran")
        values = {"beneficiary_id": person.id, "visit_type": visit_type,
                  "visited_on": last_month - timedelta(days=number), "summary": "走访情况正常",
                  **extra}
        made.append(visits.create_visit(values, user(liaison)))
    db.session.commit()
    visits.review_visit(made[0], "approve", None, user("township1"))
    visits.review_visit(made[2], "return", "请补充帮扶计划", user("township1"))
    visits.create_visit({"beneficiary_id": made[0].beneficiary_id, "visit_type": "monthly",
                         "visited_on": today, "summary": "本月"}, user("liaison1"))
    db.session.commit()
    return made


VISIT_HEADER = ["序号", "乡镇", "村（居）", "姓名", "身份证号", "优抚类别", "走访类型", "走访日期",
                "走访情况", "诉求", "采取的措施", "跟进日期", "联络员", "审核状态", "审核意见",
                "审核人", "审核时间", "照片（张）", "位置（纬度,经度）"]


def expected_visits(month, villages, full=False):
    first = date.fromisoformat(f"{month}-01")
    rows = []
    for visit in db.session.scalars(select(Visit).where(Visit.deleted_at.is_(None))):
        if visit.village_id not in villages or visit.visited_on.strftime("%Y-%m") != month:
            continue
        person = db.session.get(Beneficiary, visit.beneficiary_id)
        village = db.session.get(Region, visit.village_id)
        liaison = db.session.get(User, visit.liaison_id)
        reviewer = db.session.get(User, visit.reviewed_by_id) if visit.reviewed_by_id else None
        location = visit.location
        rows.append(((village.parent.code, village.code, visit.visited_on, person.name,
                      str(visit.id)), [
            *place(visit.village_id), person.name, id_of(person, full),
            BENEFICIARY_CATEGORIES[person.category], VISIT_TYPES[visit.visit_type],
            visit.visited_on, visit.summary, visit.needs, visit.actions, visit.follow_up_due,
            liaison.display_name, REVIEW_STATUS[visit.review_status], visit.review_comment,
            reviewer.display_name if reviewer else None, local(visit.reviewed_at),
            len(visit.photo_ids), f"{location['lat']:.6f},{location['lng']:.6f}"
            if location else None]))
    assert first  # the month parsed
    return [[number, *row] for number, (_key, row) in enumerate(sorted(rows), start=1)]


def normalise(row):
    """Dates come back from Excel as datetimes; compare days with days."""
    out = []
    for value in row:
        out.append(as_day(value) if isinstance(value, datetime) and value.hour == 0
                   and value.minute == 0 else minutes(value))
    return out


def test_visits_ledger_cell_by_cell(client, auth_headers, county, visit_book, last_month):
    headers = auth_headers("county1")
    month = last_month.strftime("%Y-%m")
    job = export(client, headers, kind="visits", month=month)
    assert job["rows"] == job["rows_total"] == 4 and job["progress"] == 1.0
    assert job["file_name"] == f"走访台账-{month}.xlsx"
    sheet = download(client, headers, job)
    assert sheet.title == "走访台账"
    table = cells(sheet)
    assert table[0] == VISIT_HEADER
    everywhere = {county.regions[key] for key in ("V11", "V12", "V21")}
    assert [normalise(row) for row in table[1:]] == expected_visits(month, everywhere)
    assert sheet.freeze_panes == "A3"
    # typed text stays text, never a formula
    formula_like = [cell for row in sheet.iter_rows(min_row=3) for cell in row
                    if isinstance(cell.value, str) and cell.value.startswith("=")]
    assert {cell.value for cell in formula_like} == {"=SUM(A1)", "=1+1 住院"}
    assert all(cell.data_type == "s" for cell in formula_like)
    assert all("*" in row[4] for row in table[1:])


def test_visits_ledger_filters_and_township_scope(client, auth_headers, county, visit_book,
                                                  last_month):
    month = last_month.strftime("%Y-%m")
    headers = auth_headers("township1")
    t1 = {county.regions["V11"], county.regions["V12"]}
    sheet = download(client, headers, export(client, headers, kind="visits", month=month))
    assert [normalise(row) for row in cells(sheet)[1:]] == expected_visits(month, t1)
    names = lambda sheet: [row[3] for row in cells(sheet)[1:]]  # noqa: E731
    only_v12 = export(client, headers, kind="visits", month=month,
                      village_id=str(county.regions["V12"]))
    assert names(download(client, headers, only_v12)) == ["李二"]
    sick = export(client, headers, kind="visits", month=month, visit_type="sick")
    assert names(download(client, headers, sick)) == ["=SUM(A1)"]
    returned = export(client, headers, kind="visits", review_status="returned")
    assert names(download(client, headers, returned)) == ["李二"]
    everything = export(client, headers, kind="visits", township_id=str(county.regions["T1"]))
    assert everything["rows"] == 4  # three of last month and one of this month
    for body in ({"township_id": str(county.regions["T2"])},
                 {"village_id": str(county.regions["V21"])}):
        refused = client.post(URL, json={"kind": "visits", **body}, headers=headers)
        assert refused.status_code == 422 and set(refused.json["errors"]) == set(body)
    assert client.post(URL, json={"kind": "visits"},
                       headers=auth_headers("liaison1")).status_code == 403


def fitted(sheet):
    """Pages wide and pages down the sheet prints on; an attribute left out is 1, the
    default of ECMA-376 (XlsxWriter writes only what differs from it)."""
    setup = sheet.page_setup
    return tuple(1 if pages is None else int(pages)
                 for pages in (setup.fitToWidth, setup.fitToHeight))


REGION_NAMES = {key: name for key, (_code, name, _level, _parent) in factories.REGIONS.items()}


def test_a_ledger_opens_ready_to_print(client, auth_headers, county, visit_book, last_month):
    """Landscape A4 fitted to the width, the header on every page, a title row naming
    the area, the ledger and the period, and prose wrapped."""
    month = last_month.strftime("%Y-%m")
    sheet = download(client, auth_headers("county1"),
                     export(client, auth_headers("county1"), kind="visits", month=month))
    assert sheet["A1"].value == f"{REGION_NAMES['C']}走访台账（{last_month.year}年{last_month.month}月）"
    assert sheet["A1"].font.b and [str(cells) for cells in sheet.merged_cells.ranges] == [
        f"A1:{get_column_letter(len(VISIT_HEADER))}1"]
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert fitted(sheet) == (1, 0)
    assert sheet.print_title_rows == "$2:$2"
    assert "&P" in sheet.oddFooter.center.text
    summary = VISIT_HEADER.index("走访情况") + 1
    assert all(sheet.cell(row, summary).alignment.wrap_text for row in range(3, sheet.max_row + 1))
    assert not sheet.cell(3, VISIT_HEADER.index("姓名") + 1).alignment.wrap_text
    # a township officer's village, and a register that covers everything up to today
    headers = auth_headers("township1")
    village = export(client, headers, kind="visits", village_id=str(county.regions["V12"]))
    assert download(client, headers, village)["A1"].value.startswith(
        REGION_NAMES["C"] + REGION_NAMES["T1"] + REGION_NAMES["V12"] + "走访台账（截至")
    contacts = download(client, headers, export(client, headers, kind="contacts", month=month))
    assert contacts["A1"].value.startswith(f"{REGION_NAMES['C']}{REGION_NAMES['T1']}连心卡联系台账（截至")


def test_the_ledger_writer_read_back_keeps_text_text_and_each_kind_its_format(tmp_path,
                                                                             monkeypatch):
    """The workbook opened again with openpyxl: the print layout, a bold centred header,
    the widths, typed text that looks like a formula, a number, an error or a link kept as
    text, days and times as dates, money to the cent, prose wrapped; control characters XML
    cannot hold dropped; XlsxWriter's temporary files gone."""
    from types import SimpleNamespace

    from server.common.sheets import FOOTER, MARGINS
    from server.exports import workbook
    from server.exports.ledgers import Column, Ledger

    typed = ["=SUM(A1)", "+1", "-2", "@x", "#N/A", "#DIV/0!", "http://example.cn", "1e5",
             "0012", "TRUE", "=1+1 住院", "510105195001011234"]
    ledger = Ledger("test", "测试台账", (
        Column("文字", 12, lambda r, f: r.text),
        Column("说明", 30, lambda r, f: r.prose),
        Column("日期", 11, lambda r, f: r.day, "date"),
        Column("时间", 17, lambda r, f: r.moment, "datetime"),
        Column("金额", 13, lambda r, f: r.money, "money"),
        Column("张数", 9, lambda r, f: r.count, "number"),
    ), None, ())
    day, moment = date(2026, 11, 3), datetime(2026, 11, 3, 14, 5)
    rows = [SimpleNamespace(text=text, prose=f"{text}\x01走访\x1f情况\n第二行", day=day,
                            moment=moment, money=Decimal(number * 100 + 56) / 100, count=number)
            for number, text in enumerate(typed)]
    rows.append(SimpleNamespace(text=None, prose="", day=None, moment=None, money=None,
                                count=None))
    monkeypatch.setattr(workbook, "PROGRESS_EVERY", 5)
    progress, scratch, path = [], tmp_path / "scratch", tmp_path / "ledger.xlsx"
    scratch.mkdir()
    written = workbook.write_ledger(path, ledger, iter(rows), None, progress=progress.append,
                                    title="某县走访台账（2026年11月）", scratch=scratch)
    assert written == len(rows) and progress == [5, 10]
    assert list(scratch.iterdir()) == []
    sheet = load_workbook(path).worksheets[0]
    assert sheet.title == "测试台账"
    # the printed title above the header, and the page set up as print_ready sets it
    assert sheet["A1"].value == "某县走访台账（2026年11月）"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet["A1"].alignment.horizontal == "center"
    assert [str(cells) for cells in sheet.merged_cells.ranges] == ["A1:G1"]
    assert sheet.row_dimensions[1].height == 24
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert fitted(sheet) == (1, 0)
    assert sheet.print_options.horizontalCentered
    assert {side: getattr(sheet.page_margins, side) for side in MARGINS} == MARGINS
    assert sheet.oddHeader.center.text == "某县走访台账（2026年11月）"
    assert sheet.oddFooter.center.text == FOOTER
    # the header: bold, centred; each column as wide as the ledger says (XlsxWriter stores
    # the width Excel shows plus its cell padding, under one character)
    header = sheet[2]
    assert [cell.value for cell in header] == ["序号", "文字", "说明", "日期", "时间", "金额",
                                               "张数"]
    assert all(cell.font.b and cell.alignment.horizontal == "center" for cell in header)
    for letter, width in zip("ABCDEFG", (workbook.NUMBER_WIDTH, 12, 30, 11, 17, 13, 9),
                             strict=True):
        assert width <= sheet.column_dimensions[letter].width < width + 1, letter
    body = list(sheet.iter_rows(min_row=3))
    assert len(body) == len(rows)
    for number, (cells, text) in enumerate(zip(body, typed, strict=False), start=1):
        serial, plain, prose, on, at, money, count = cells
        assert (serial.value, serial.data_type) == (number, "n")
        assert (plain.value, plain.data_type) == (text, "s")
        assert not plain.alignment.wrap_text
        assert (prose.value, prose.data_type) == (f"{text}走访情况\n第二行", "s")
        assert prose.alignment.wrap_text and prose.alignment.vertical == "top"
        assert on.is_date and on.value == datetime(2026, 11, 3)
        assert on.number_format == "yyyy-mm-dd"
        assert at.is_date and at.value == moment and at.number_format == "yyyy-mm-dd hh:mm"
        assert money.data_type == "n" and money.number_format == "0.00"
        assert Decimal(str(money.value)) == Decimal(number * 100 - 44) / 100
        assert (count.value, count.data_type) == (number - 1, "n")
    assert [cell.value for cell in body[-1]] == [len(rows), *[None] * 6]


def test_full_id_numbers_need_a_fresh_login_and_are_audited(client, auth_headers, county, user,
                                                            visit_book, last_month):
    month = last_month.strftime("%Y-%m")
    headers = auth_headers("county1")
    refused = client.post(URL, json={"kind": "visits", "month": month, "full_ids": True},
                          headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "fresh_login_required"
    wrong = client.post(FRESH, json={"password": "not-the-password"}, headers=headers)
    assert wrong.status_code == 422 and "password" in wrong.json["errors"]
    assert db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.user_id == user("county1").id, AuditEntry.action == "reauth_failed")).all() \
        == ["reauth_failed"]
    fresh = client.post(FRESH, json={"password": factories.PASSWORD}, headers=headers)
    assert fresh.status_code == 200, fresh.json
    assert fresh.json["expires_in"] == 300
    fresh_headers = {"Authorization": f"Bearer {fresh.json['access_token']}"}
    job = export(client, fresh_headers, kind="visits", month=month, full_ids=True)
    sheet = download(client, headers, job)
    everywhere = {county.regions[key] for key in ("V11", "V12", "V21")}
    table = [normalise(row) for row in cells(sheet)[1:]]
    assert table == expected_visits(month, everywhere, full=True)
    assert all(len(row[4]) == 18 and "*" not in row[4] for row in table)
    reads = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "read_id_number", AuditEntry.record_id == job["job_id"])).all()
    assert len(reads) == 1
    assert reads[0].username == "county1"
    assert reads[0].changes["count"] == 4 and reads[0].changes["ledger"] == "visits"
    assert db.session.get(ExportJob, uuid.UUID(job["job_id"])).ids_read == 4
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.record_id == job["job_id"]).order_by(AuditEntry.id)).all()
    assert actions == ["export", "read_id_number", "download_export"]
    assert db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.user_id == user("county1").id, AuditEntry.action == "reauthenticate")).all()


def test_job_status_is_the_owners_only(client, auth_headers, visit_book, tmp_path):
    job = export(client, auth_headers("township1"), kind="visits")
    status = client.get(f"{URL}/{job['job_id']}", headers=auth_headers("township1"))
    assert status.status_code == 200
    assert {key: status.json[key] for key in ("status", "progress", "rows", "kind")} == {
        "status": "done", "progress": 1.0, "rows": 4, "kind": "visits"}
    for other in ("county1", "township2"):
        assert client.get(f"{URL}/{job['job_id']}",
                          headers=auth_headers(other)).status_code == 404
        assert client.get(f"{URL}/{job['job_id']}/file",
                          headers=auth_headers(other)).status_code == 404
    # a file gone after a day's housekeeping: 410
    (tmp_path / f"{job['job_id']}.xlsx").unlink()
    gone = client.get(f"{URL}/{job['job_id']}/file", headers=auth_headers("township1"))
    assert gone.status_code == 410 and gone.json["code"] == "export_expired"


def test_a_running_job_reports_progress_and_a_dead_one_fails(client, auth_headers, user):
    from server.common.timeutil import utcnow

    job = ExportJob(user_id=user("county1").id, kind="visits", filters={}, full_ids=False,
                    status="running", rows_total=8000, rows_done=2000)
    db.session.add(job)
    db.session.commit()
    headers = auth_headers("county1")
    body = client.get(f"{URL}/{job.id}", headers=headers).json
    assert (body["status"], body["progress"], body["rows"]) == ("running", 0.25, 2000)
    not_ready = client.get(f"{URL}/{job.id}/file", headers=headers)
    assert not_ready.status_code == 409
    job.updated_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    body = client.get(f"{URL}/{job.id}", headers=headers).json
    assert body["status"] == "failed" and body["error"]


# --- health events, mediation cases, contact cards ---------------------------------------


def test_health_events_ledger_cell_by_cell(client, auth_headers, county, user, last_month):
    admin = user("admin")
    made = []
    for village, liaison, kind, amount in (("V11", "liaison1", "medical_aid", 123456),
                                           ("V12", "liaison2", "hospital", None),
                                           ("V21", "liaison3", "illness", None)):
        person = factories.beneficiary(county.regions[village], admin, name=f"病{village}")
        values = {"beneficiary_id": person.id, "kind": kind, "occurred_on": last_month,
                  "description": "心脏不适", "hospital": "县人民医院"}
        if amount:
            values["aid_amount_fen"] = amount
        made.append(health.create_health_event(values, user(liaison)))
    db.session.commit()
    headers = auth_headers("township1")
    job = export(client, headers, kind="health_events", month=last_month.strftime("%Y-%m"))
    table = cells(download(client, headers, job))
    assert table[0] == ["序号", "乡镇", "村（居）", "姓名", "身份证号", "事件类型", "发生日期",
                        "情况说明", "医院", "救助金额（元）", "记录时间"]
    expected = []
    for number, event in enumerate(made[:2], start=1):
        person = db.session.get(Beneficiary, event.beneficiary_id)
        expected.append([number, *place(event.village_id), person.name, person.id_number_masked,
                         HEALTH_EVENT_KINDS[event.kind], event.occurred_on, event.description,
                         event.hospital, None if event.aid_amount_fen is None
                         else Decimal(event.aid_amount_fen) / 100, local(event.created_at)])
    got = [normalise(row) for row in table[1:]]
    got = [[*row[:9], None if row[9] is None else Decimal(str(row[9])), row[10]] for row in got]
    assert got == expected
    assert got[0][9] == Decimal("1234.56")
    kind_only = export(client, headers, kind="health_events", event_kind="hospital")
    assert [row[3] for row in cells(download(client, headers, kind_only))[1:]] == ["病V12"]


def test_mediation_ledger_cell_by_cell(client, auth_headers, county, user, last_month):
    admin = user("admin")
    cases = []
    for village, liaison in (("V11", "liaison1"), ("V21", "liaison3")):
        person = factories.beneficiary(county.regions[village], admin, name=f"纠{village}")
        case = mediation.create_case({"beneficiary_id": person.id, "kind": "land",
                                      "parties": "张三；李四", "description": "宅基地界线",
                                      "opened_on": last_month}, user(liaison))
        cases.append(case)
    mediation.create_session({"case_id": cases[0].id, "held_on": last_month, "notes": "第一次"},
                             user("liaison1"))
    mediation.create_session({"case_id": cases[0].id, "held_on": last_month + timedelta(days=2),
                              "notes": "第二次"}, user("liaison1"))
    db.session.commit()
    headers = auth_headers("county1")
    job = export(client, headers, kind="mediation_cases", month=last_month.strftime("%Y-%m"))
    table = cells(download(client, headers, job))
    assert table[0] == ["序号", "乡镇", "村（居）", "优抚对象", "身份证号", "纠纷类型", "当事人",
                        "纠纷情况", "受理日期", "调解次数", "最近调解日期", "状态", "调解结果",
                        "移交单位", "结案日期"]
    expected = []
    for number, (case, sessions, last) in enumerate(
            ((cases[0], 2, last_month + timedelta(days=2)), (cases[1], 0, None)), start=1):
        case = db.session.get(type(case), case.id)
        person = db.session.get(Beneficiary, case.beneficiary_id)
        expected.append([number, *place(case.village_id), person.name, person.id_number_masked,
                         MEDIATION_KINDS[case.kind], case.parties, case.description,
                         case.opened_on, sessions, last, MEDIATION_STATUS[case.status],
                         case.outcome, case.referred_to, case.closed_on])
    assert [normalise(row) for row in table[1:]] == expected
    mediating = export(client, headers, kind="mediation_cases", status="mediating")
    assert [row[3] for row in cells(download(client, headers, mediating))[1:]] == ["纠V11"]


def test_contact_register_cell_by_cell(client, auth_headers, county, user, today):
    admin = user("admin")
    cards = []
    for village, liaison in (("V11", "liaison1"), ("V12", "liaison2"), ("V21", "liaison3")):
        person = factories.beneficiary(county.regions[village], admin, name=f"工{village}",
                                       is_migrant=True, work_city="广州")
        cards.append(contacts.create_card({
            "beneficiary_id": person.id, "work_city": "东莞", "work_province": "广东",
            "employer": "某电子厂", "phone": "13900002222", "emergency_contact": "父 13800001111",
            "issued_on": today}, user(liaison)))
    contacts.create_log({"card_id": cards[0].id, "contacted_on": today, "channel": "phone",
                         "notes": "身体好"}, user("liaison1"))
    db.session.commit()
    headers = auth_headers("township1")
    table = cells(download(client, headers, export(client, headers, kind="contacts")))
    assert table[0] == ["序号", "乡镇", "村（居）", "姓名", "身份证号", "连心卡号", "发卡日期",
                        "务工省份", "务工城市", "工作单位", "本人电话", "紧急联系人",
                        "最近联系日期", "联系次数"]
    expected = []
    for number, (card, logs) in enumerate(((cards[0], 1), (cards[1], 0)), start=1):
        card = db.session.get(type(card), card.id)
        person = db.session.get(Beneficiary, card.beneficiary_id)
        expected.append([number, *place(card.village_id), person.name, person.id_number_masked,
                         card.card_number, card.issued_on, card.work_province, card.work_city,
                         card.employer, card.phone, card.emergency_contact, card.last_contact_on,
                         logs])
    assert [normalise(row) for row in table[1:]] == expected


def test_a_ledger_file_is_private_and_short_lived(app, client, auth_headers, visit_book, tmp_path):
    import os
    import stat
    import time

    from server.exports.operations import remove_old_files

    exports_dir = tmp_path / "exports"
    app.config["LIANXIN_EXPORT_DIR"] = str(exports_dir)
    headers = auth_headers("township1")
    old_umask = os.umask(0o022)  # the usual umask: files 0644 unless made otherwise
    try:
        job = export(client, headers, kind="visits")
    finally:
        os.umask(old_umask)
    path = exports_dir / f"{job['job_id']}.xlsx"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(exports_dir.stat().st_mode) == 0o700
    # sent once, then gone: the next request gets 410
    sheet = download(client, headers, job)
    assert sheet.max_row == 6  # the title, the header and 4 visits
    assert not path.exists()
    again = client.get(f"{URL}/{job['job_id']}/file", headers=headers)
    assert again.status_code == 410 and again.json["code"] == "export_expired"
    # a file nobody fetched is gone an hour after it was written
    waiting = export(client, headers, kind="visits")
    path = exports_dir / f"{waiting['job_id']}.xlsx"
    assert remove_old_files() == 0 and path.exists()
    written = time.time() - 61 * 60
    os.utime(path, (written, written))
    # and so is a temporary file XlsxWriter left when its process died mid-export
    left, running = exports_dir / "tmpk2x9_a1b", exports_dir / "tmpq7y3_c2d"
    left.write_bytes(b"<row/>")
    running.write_bytes(b"<row/>")
    os.utime(left, (written, written))
    assert remove_old_files() == 2 and not path.exists() and not left.exists()
    assert running.exists()
