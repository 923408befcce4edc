"""Roster import (issue 18 point 1): real workbooks made with openpyxl, read as a county's
ledgers look, checked row by row, applied in bulk, re-imported without a trace."""

import io
import json
import os
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from server.beneficiaries.models import Beneficiary
from server.common.idnumbers import IdNumber
from server.extensions import db
from server.records.changelog import village_scope
from server.records.models import AuditEntry, SyncChange, SyncScope
from server.roster import checking
from server.roster.models import RosterImport
from server.visits.models import VisitTask
from tests import factories

HEADER = ["姓名", "性别", "身份证号", "出生日期", "优抚类别", "伤残等级", "村（居）代码",
          "联系电话", "住址", "外出务工", "备注"]
V11, V12, V21 = "510801001", "510801002", "510802001"


def number(birth=date(1950, 3, 1), serial=13):
    return IdNumber.compose("510822", birth, serial).digits


def person(name="张国强", id_number=None, village=V11, **cells):
    row = {"姓名": name, "性别": None, "身份证号": id_number or number(), "出生日期": None,
           "优抚类别": "在乡老复员军人", "伤残等级": None, "村（居）代码": village,
           "联系电话": "13800001111", "住址": "一组12号", "外出务工": "否", "备注": None}
    row.update(cells)
    return row


def workbook(rows, header=HEADER, titles=("测试县优抚对象花名册", "填报单位：测试县民政局"),
             trailing_blank=3, extra=None):
    """The bytes of an .xlsx: title rows, the header, the rows (dicts by header), blank
    rows after them (formatted but empty, as Excel leaves them)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    for title in titles:
        sheet.append([title])
    if titles:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    last = sheet.max_row
    for offset in range(1, trailing_blank + 1):
        sheet.cell(last + offset, 1).number_format = "@"
    if extra:
        extra(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def first_data_row(titles=2):
    return titles + 2


def upload(client, headers, data, *, name="花名册.xlsx", dry_run=True):
    return client.post("/api/v1/roster/imports", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "dry_run": "true" if dry_run else "false"})


def counts():
    return {
        "people": db.session.scalar(select(func.count()).select_from(Beneficiary)),
        "changes": db.session.scalar(select(func.count()).select_from(SyncChange)),
        "seq": db.session.scalar(select(func.coalesce(func.sum(SyncScope.seq), 0))),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        "tasks": db.session.scalar(select(func.count()).select_from(VisitTask)),
    }


def errors_of(body):
    return {(error["row"], error["column"], error["message"]) for error in body["errors"]}


def by_number(id_number):
    return db.session.scalar(select(Beneficiary).where(
        Beneficiary.id_number_hash == IdNumber(id_number).lookup_hash))


# --- the template ---------------------------------------------------------------------------


def test_template_has_the_fixed_header_text_id_column_drop_downs_example_and_instructions(
        runner, tmp_path, client, auth_headers):
    out = tmp_path / "模板.xlsx"
    result = runner.invoke(args=["roster", "template", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    sheet = book["花名册"]
    assert [cell.value for cell in sheet[2]] == HEADER
    id_column = HEADER.index("身份证号") + 1
    assert sheet.cell(3, id_column).number_format == "@"
    assert sheet.cell(100, id_column).number_format == "@"
    assert IdNumber.problem(sheet.cell(3, id_column).value) is None  # a valid example
    lists = {str(rule.sqref).split(":")[0]: rule.formula1 for rule in sheet.data_validations.dataValidation}
    assert lists["B3"] == '"男,女"'
    assert "伤残军人" in lists["E3"] and "烈士遗属" in lists["E3"]
    assert lists["J3"] == '"是,否"'
    assert "身份证号" in " ".join(str(c.value) for c in book["说明"]["B"])
    # the staff screen's download is the same workbook
    response = client.get("/api/v1/roster/template", headers=auth_headers("township1"))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert [c.value for c in load_workbook(io.BytesIO(response.data))["花名册"][2]] == HEADER
    # and the filled-in template imports (its example row is a valid person)
    checked = upload(client, auth_headers("admin"), response.data)
    assert checked.status_code == 202
    assert errors_of(checked.json) == {(3, "村（居）代码", "村（居）“510822101201”不存在或不在您的管辖范围内")}


# --- reading a ledger as it looks -------------------------------------------------------------


def test_dry_run_reads_a_real_ledger_and_changes_nothing(client, auth_headers):
    rows = [
        person("张国强", number(serial=13)),
        # full-width digits in the number, the phone and the code; a date as text
        person("李秀英", "５１０８２２" + number(date(1948, 7, 9), 24)[6:], village="５１０８０１００２",
               性别="女", 出生日期="1948年7月9日", 联系电话="１３９１１１１２２２２"),
        # a date as an Excel date, another spelling of the date, a disabled serviceman
        person("王建军", number(date(1952, 1, 2), 35), 出生日期=datetime(1952, 1, 2),
               优抚类别="伤残军人", 伤残等级="六级"),
        person("赵大海", number(date(1953, 11, 30), 47), 出生日期="19531130", 外出务工="是（广东东莞）"),
        person("孙小红", number(date(1955, 2, 3), 58), 出生日期="1955/2/3"),
    ]
    before = counts()
    response = upload(client, auth_headers("admin"), workbook(rows))
    assert response.status_code == 202, response.json
    job = response.json
    assert job["status"] == "done" and job["dry_run"] is True
    assert job["errors"] == [] and job["has_report"] is False
    assert (job["rows_total"], job["rows_done"], job["created"], job["refused"]) == (5, 5, 5, 0)
    assert counts() == before
    assert job["file_sha256"] and job["file_name"] == "花名册.xlsx"


def test_merged_township_cells_give_their_value_to_every_row(client, auth_headers, county):
    header = ["姓名", "公民身份号码", "类别", "乡镇(街道)", "村(居)名称", "状态"]
    rows = [{"姓名": f"人{i}", "公民身份号码": number(serial=100 + i), "类别": "退役士兵",
             "乡镇(街道)": "一号镇" if i == 0 else None, "村(居)名称": "一号镇乙村"} for i in range(3)]

    def merge(sheet):
        sheet.merge_cells("D4:D6")  # the township over its three rows

    response = upload(client, auth_headers("admin"), workbook(rows, header=header, extra=merge),
                      dry_run=False)
    assert response.json["errors"] == [], response.json
    assert response.json["created"] == 3
    people = db.session.scalars(select(Beneficiary).where(Beneficiary.name.like("人%"))).all()
    assert {p.village_id for p in people} == {county.regions["V12"]}


def test_csv_in_utf8_with_bom_and_in_gb18030(client, auth_headers):
    text = ",".join(HEADER) + "\n" + ",".join([
        "钱多多", "", number(serial=201), "", "退役士兵", "", V11, "", "", "否", ""]) + "\n\n"
    for encoding, name in (("utf-8-sig", "a.csv"), ("gb18030", "b.csv")):
        response = upload(client, auth_headers("admin"), text.encode(encoding), name=name)
        assert response.status_code == 202, response.json
        assert (response.json["created"], response.json["errors"]) == (1, [])


# --- every kind of row problem, by row and column ----------------------------------------------


def test_every_row_problem_is_reported_by_row_and_column_and_the_report_marks_them(
        client, auth_headers):
    good = number(serial=301)
    bad_check = number(serial=302)[:17] + ("0" if number(serial=302)[17] != "0" else "1")
    twice = number(serial=303)
    rows = [
        person("好人", good),                                          # row 4
        person("校验错", bad_check),                                    # row 5
        person("生日错", number(serial=304), 出生日期="1950-03-02"),     # row 6
        person("无此村", number(serial=305), village="510899999"),      # row 7
        person("重复甲", twice),                                        # row 8
        person("重复乙", twice),                                        # row 9
        person("类别错", number(serial=306), 优抚类别="老干部"),          # row 10
        person("", number(serial=307)),                                 # row 11: no name
        person("数字号", 510822195003013999),                            # row 12: a number cell
        person("性别错", number(serial=308), 性别="男"),                  # row 13 (even: female)
        person("缺等级", number(serial=309), 优抚类别="伤残军人"),        # row 14
        person("电话错", number(serial=310), 联系电话="12"),             # row 15
    ]

    def formula(sheet):
        sheet["H16"] = "=1+1"   # row 16: a formula in the phone column
        sheet["A16"] = "公式人"
        sheet["C16"] = number(serial=311)
        sheet["E16"] = "退役士兵"
        sheet["G16"] = V11

    before = counts()
    response = upload(client, auth_headers("admin"), workbook(rows, extra=formula))
    body = response.json
    assert counts() == before
    found = errors_of(body)
    expected = {
        (5, "身份证号", "身份证号校验位不正确"),
        (6, "出生日期", "与身份证号中的出生日期不一致"),
        (7, "村（居）代码", "村（居）“510899999”不存在或不在您的管辖范围内"),
        (8, "身份证号", "与第9行是同一个人（身份证号相同），请只保留一行"),
        (9, "身份证号", "与第8行是同一个人（身份证号相同），请只保留一行"),
        (10, "优抚类别", next(m for r, _c, m in found if r == 10)),
        (11, "姓名", "此项必填"),
        (12, "身份证号", "身份证号被存成了数字，已丢失末尾几位（或X）：请把身份证号列设为文本格式后重新填写"),
        (13, "性别", "与身份证号中的性别不一致"),
        (14, "伤残等级", "伤残军人须填写伤残等级"),
        (15, "联系电话", "请输入正确的手机号（11位）或座机号（如 0817-1234567）"),
        (16, "联系电话", "该格是公式，请把公式转为数值（复制后“选择性粘贴→数值”）后重新上传"),
    }
    assert expected <= found, found - expected
    assert "优抚类别“老干部”不是可选的类别" in next(m for r, _c, m in found if r == 10)
    assert not {row for row, _c, _m in found} & {4}
    assert (body["created"], body["refused"], body["rows_total"]) == (1, 12, 13)
    assert body["has_report"] is True
    report = client.get(f"/api/v1/roster/imports/{body['id']}/report", headers=auth_headers("admin"))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.data))["花名册"]
    note_column = len(HEADER) + 1
    assert sheet.cell(3, note_column).value == "错误说明"
    assert "身份证号校验位不正确" in sheet.cell(5, note_column).value
    assert sheet.cell(5, 1).fill.start_color.rgb.endswith("F4CCCC")
    assert sheet.cell(4, note_column).value is None
    assert sheet.cell(4, 1).fill.fill_type is None
    assert sheet.cell(1, 1).value == "测试县优抚对象花名册"  # the upload's own title kept


# --- applying, re-importing -------------------------------------------------------------------


def test_import_creates_people_with_their_tasks_and_a_reimport_changes_nothing(
        client, auth_headers, county, monkeypatch):
    rows = [person(f"新人{i}", number(serial=400 + i)) for i in range(5)]
    data = workbook(rows)
    headers = auth_headers("admin")
    checked = upload(client, headers, data).json
    assert checked["created"] == 5
    applied = client.post(f"/api/v1/roster/imports/{checked['id']}/apply", headers=headers)
    assert applied.status_code == 202, applied.json
    job = applied.json
    assert (job["dry_run"], job["applied_from"], job["created"], job["status"]) == (
        False, checked["id"], 5, "done")
    first = by_number(number(serial=400))
    assert (first.name, first.name_initials, first.village_id, first.status, first.version) == (
        "新人0", "xr0", county.regions["V11"], "active", 1)
    assert first.id_number_masked == number(serial=400)[:4] + "*" * 14
    assert first.birth_date == date(1950, 3, 1) and first.sex == "female"
    assert db.session.scalar(select(func.count()).select_from(VisitTask).where(
        VisitTask.beneficiary_id == first.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(SyncChange).where(
        SyncChange.record_id == first.id)) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster_import"))
    assert entry.changes["created"] == 5 and entry.changes["file_sha256"] == checked["file_sha256"]
    assert "新人" not in json.dumps(entry.changes, ensure_ascii=False)

    before = counts()
    loads = []  # a row saying what the record holds is not loaded again (a third of the time)
    real_load = checking._UPDATE.load
    monkeypatch.setattr(checking._UPDATE, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    again = upload(client, headers, data, dry_run=False).json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert loads == []
    after = counts()
    assert after == {**before, "audit": before["audit"] + 1}  # only the import's own row
    assert by_number(number(serial=400)).version == 1


def test_a_changed_row_updates_the_person_and_phones_hear_of_it(client, auth_headers, user, county):
    admin = user("admin")
    v11 = county.regions["V11"]
    person_number = number(serial=501)
    stored = factories.beneficiary(v11, admin, name="老张", id_number=person_number,
                                   phone="13800001111", address="一组12号")
    seq_before = db.session.scalar(select(SyncChange.seq).where(SyncChange.record_id == stored.id))
    response = upload(client, auth_headers("admin"),
                      workbook([person("老张", person_number, 联系电话="13911112222")]), dry_run=False)
    assert (response.json["updated"], response.json["errors"]) == (1, [])
    db.session.expire_all()
    changed = db.session.get(Beneficiary, stored.id)
    assert (changed.phone, changed.version, changed.address) == ("13911112222", 2, "一组12号")
    seq_after = db.session.scalar(select(SyncChange.seq).where(SyncChange.record_id == stored.id))
    assert seq_after > seq_before
    assert [e.changes for e in factories.audit_rows(stored.id, "update")] == [
        {"phone": ["13800001111", "13911112222"]}]


def test_a_move_leaves_the_old_village_and_statuses_are_set(client, auth_headers, user, county):
    admin = user("admin")
    mover = factories.beneficiary(county.regions["V11"], admin, name="搬家人",
                                  id_number=number(serial=601), phone="13800001111",
                                  address="一组12号")
    gone = factories.beneficiary(county.regions["V11"], admin, name="故人",
                                 id_number=number(serial=602), phone="13800001111",
                                 address="一组12号")
    away = factories.beneficiary(county.regions["V11"], admin, name="迁人",
                                 id_number=number(serial=603), phone="13800001111",
                                 address="一组12号")
    header = [*HEADER, "状态"]
    rows = [person("搬家人", number(serial=601), village=V21),
            person("故人", number(serial=602), 状态="已故"),
            person("迁人", number(serial=603), 状态="迁出")]
    response = upload(client, auth_headers("county1"), workbook(rows, header=header), dry_run=False)
    assert (response.json["updated"], response.json["errors"]) == (3, [])
    db.session.expire_all()
    assert db.session.get(Beneficiary, mover.id).village_id == county.regions["V21"]
    old_scope = db.session.scalar(select(SyncScope.id).where(
        SyncScope.key == village_scope(county.regions["V11"])))
    left = db.session.scalar(select(SyncChange.kind).where(
        SyncChange.scope_id == old_scope, SyncChange.record_id == mover.id))
    assert left == "left"
    assert db.session.get(Beneficiary, gone.id).status == "deceased"
    assert db.session.get(Beneficiary, away.id).status == "moved"
    assert factories.audit_rows(mover.id, "move")


# --- a township officer's scope ----------------------------------------------------------------


def test_a_township_officer_imports_only_their_villages_and_learns_nothing_of_others(
        client, auth_headers, user, county):
    elsewhere = factories.beneficiary(county.regions["V21"], user("admin"), name="外乡人",
                                      id_number=number(serial=701))
    rows = [person("本乡人", number(serial=702), village=V12),
            person("外村行", number(serial=703), village=V21),
            person("外乡人", number(serial=701), village=V11),
            # a county-wide file's row of another township: refused for its village,
            # and nothing said (or counted) of the number
            person("外乡人", number(serial=701), village=V21)]
    response = upload(client, auth_headers("township1"), workbook(rows), dry_run=False).json
    assert errors_of(response) == {
        (5, "村（居）代码", f"村（居）“{V21}”不存在或不在您的管辖范围内"),
        (6, "身份证号", "该身份证号已登记"),
        (6, "身份证号", "与第7行是同一个人（身份证号相同），请只保留一行"),
        (7, "村（居）代码", f"村（居）“{V21}”不存在或不在您的管辖范围内"),
        (7, "身份证号", "与第6行是同一个人（身份证号相同），请只保留一行"),
    }
    assert len(factories.audit_rows(elsewhere.id, "id_number_taken")) == 1
    assert response["created"] == 1
    assert db.session.get(Beneficiary, elsewhere.id).village_id == county.regions["V21"]
    assert factories.audit_rows(elsewhere.id, "id_number_taken")
    # nobody else sees the job
    other = client.get(f"/api/v1/roster/imports/{response['id']}", headers=auth_headers("county1"))
    assert other.status_code == 404
    listed = client.get("/api/v1/roster/imports", headers=auth_headers("township1")).json
    assert listed["items"][0]["id"] == response["id"]
    assert client.get("/api/v1/roster/imports", headers=auth_headers("county1")).json["items"] == []


# --- files that cannot be read --------------------------------------------------------------


def _encrypted_package():
    """What Office writes for a password-protected .xlsx: an OLE compound file whose
    directory names the EncryptionInfo and EncryptedPackage streams."""
    sector = bytearray(512)
    for offset, name in ((0, "EncryptionInfo"), (128, "EncryptedPackage")):
        encoded = name.encode("utf-16-le")
        sector[offset:offset + len(encoded)] = encoded
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + bytes(sector)


def _no_header_sheet():
    book = Workbook()
    book.active.append(["序号", "名字", "号码"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"PK\x03\x04 not really a zip", "坏.xlsx", "文件已损坏"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "坏.xls", "文件已损坏"),
    (None, "密.xlsx", "文件设有打开密码"),
    (b"", "空.csv", "文件是空的"),
    ("no header", "无表头.xlsx", "没有找到花名册的表头"),
    (b"x", "a.pdf", "只能上传 Excel"),
])
def test_a_file_that_cannot_be_read_is_refused_at_once_with_a_reason(
        client, auth_headers, data, name, words):
    data = _encrypted_package() if data is None else _no_header_sheet() if data == "no header" else data
    response = upload(client, auth_headers("admin"), data, name=name)
    assert response.status_code == 422
    assert words in response.json["errors"]["file"][0]
    if words == "没有找到花名册的表头":
        assert "姓名、性别、身份证号" in response.json["errors"]["file"][0]
    assert db.session.scalar(select(func.count()).select_from(RosterImport)) == 0


def test_size_and_row_caps(app, client, auth_headers, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_ROSTER_MAX_ROWS", 3)
    rows = [person(f"人{i}", number(serial=800 + i)) for i in range(4)]
    response = upload(client, auth_headers("admin"), workbook(rows))
    assert response.status_code == 422
    assert "行数太多" in response.json["errors"]["file"][0]
    monkeypatch.setitem(app.config, "LIANXIN_ROSTER_MAX_BYTES", 1000)
    response = upload(client, auth_headers("admin"), workbook(rows[:1]))
    assert response.status_code == 422
    assert "文件太大" in response.json["errors"]["file"][0]


def test_a_roster_larger_than_other_requests_is_taken(client, auth_headers):
    """A county's whole roster is larger than any other request may be (6 MB,
    MAX_CONTENT_LENGTH): the upload's own cap (LIANXIN_ROSTER_MAX_BYTES) applies, not
    the server's bare 413."""
    data = io.BytesIO(workbook([person("大文件", number(serial=990))]))
    with zipfile.ZipFile(data, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("docProps/padding.bin", os.urandom(7 * 1024 * 1024))
    assert len(data.getvalue()) > 7 * 1024 * 1024
    response = upload(client, auth_headers("admin"), data.getvalue())
    assert response.status_code == 202, response.get_data(as_text=True)[:300]


def test_a_header_without_a_village_column_is_refused(client, auth_headers):
    data = workbook([person()], header=["姓名", "身份证号", "优抚类别"])
    response = upload(client, auth_headers("admin"), data)
    assert response.status_code == 422
    assert "表头缺少“村（居）代码”（或“村（居）名称”）列" in response.json["errors"]["file"][0]


# --- the command line ------------------------------------------------------------------------


def test_cli_exit_codes_and_json(runner, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([person("命令行", number(serial=901))]))
    checked = runner.invoke(args=["roster", "import", str(good), "--dry-run", "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output.strip().splitlines()[-1]) == {
        "created": 1, "updated": 0, "unchanged": 0, "errors": []}
    assert by_number(number(serial=901)) is None
    applied = runner.invoke(args=["roster", "import", str(good), "--json"])
    assert applied.exit_code == 0, applied.output
    assert by_number(number(serial=901)) is not None
    again = runner.invoke(args=["roster", "import", str(good), "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["unchanged"] == 1

    mixed = tmp_path / "mixed.xlsx"
    mixed.write_bytes(workbook([person("好", number(serial=902)),
                                person("坏", number(serial=903), 优抚类别="无")]))
    refused = runner.invoke(args=["roster", "import", str(mixed), "--json"])
    assert refused.exit_code == 1, refused.output
    summary = json.loads(refused.output.strip().splitlines()[-1])
    assert summary["created"] == 1
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [(5, "优抚类别")]

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    unreadable = runner.invoke(args=["roster", "import", str(broken), "--json"])
    assert unreadable.exit_code == 2
    assert "文件已损坏" in json.loads(unreadable.output.strip().splitlines()[-1])["errors"][0]["message"]


def test_apply_only_from_ones_own_finished_dry_run(client, auth_headers):
    data = workbook([person("甲", number(serial=950))])
    applied = upload(client, auth_headers("admin"), data, dry_run=False).json
    refused = client.post(f"/api/v1/roster/imports/{applied['id']}/apply", headers=auth_headers("admin"))
    assert refused.status_code == 409
    checked = upload(client, auth_headers("admin"), data).json
    other = client.post(f"/api/v1/roster/imports/{checked['id']}/apply", headers=auth_headers("county1"))
    assert other.status_code == 404
    no_report = client.get(f"/api/v1/roster/imports/{checked['id']}/report", headers=auth_headers("admin"))
    assert no_report.status_code == 404
    assert client.post("/api/v1/roster/imports", headers=auth_headers("liaison1"),
                       data={"dry_run": "true"}).status_code == 403


def test_an_old_xls_roster_with_merged_cells(client, auth_headers, county):
    """An .xls as the county's older ledgers are (made with xlwt, a test-only tool: the
    server reads .xls with xlrd)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    sheet.write_merge(0, 0, 0, 5, "测试县优抚对象花名册")
    for column, text in enumerate(["姓名", "身份证号", "优抚类别", "乡镇（街道）", "村（居）名称", "出生日期"]):
        sheet.write(1, column, text)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for row in range(3):
        sheet.write(2 + row, 0, f"老{row}")
        sheet.write(2 + row, 1, number(date(1950, 3, 1), 500 + row))
        sheet.write(2 + row, 2, "烈士遗属")
        sheet.write(2 + row, 5, datetime(1950, 3, 1), dates)
    sheet.write_merge(2, 4, 3, 3, "一号镇")  # the township over its three rows
    sheet.write_merge(2, 4, 4, 4, "一号镇甲村")
    sheet.write(5, 0, "坏号")
    sheet.write(5, 1, 510822195003013999.0)  # a number cell: digits lost
    sheet.write(5, 2, "烈士遗属")
    sheet.write(5, 3, "一号镇")
    sheet.write(5, 4, "一号镇甲村")
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, auth_headers("admin"), buffer.getvalue(), name="旧表.xls", dry_run=False)
    assert response.status_code == 202, response.json
    assert response.json["created"] == 3
    assert errors_of(response.json) == {(6, "身份证号", "身份证号被存成了数字，已丢失末尾几位（或X）：请把身份证号列设为文本格式后重新填写")}
    assert by_number(number(date(1950, 3, 1), 500)).village_id == county.regions["V11"]
    report = client.get(f"/api/v1/roster/imports/{response.json['id']}/report",
                        headers=auth_headers("admin"))
    sheet = load_workbook(io.BytesIO(report.data)).active
    assert sheet.cell(2, 7).value == "错误说明"
    assert "身份证号被存成了数字" in sheet.cell(6, 7).value
    assert sheet.cell(3, 1).value == "老0"


def test_a_large_upload_gets_a_streamed_report_at_the_same_row_numbers(
        client, auth_headers, monkeypatch):
    from server.roster import report

    monkeypatch.setattr(report, "IN_PLACE_MAX_BYTES", 0)  # as a file past the in-place size
    rows = [person("好", number(serial=960)), {}, person("坏", number(serial=961), 优抚类别="无")]
    body = upload(client, auth_headers("admin"), workbook(rows)).json
    assert errors_of(body) == {(6, "优抚类别", next(e["message"] for e in body["errors"]))}
    sheet = load_workbook(io.BytesIO(client.get(
        f"/api/v1/roster/imports/{body['id']}/report", headers=auth_headers("admin")).data)).active
    note = len(HEADER) + 1
    assert [cell.value for cell in sheet[3]] == [*HEADER, "错误说明"]
    assert sheet.cell(4, 1).value == "好" and sheet.cell(4, note).value is None
    assert sheet.cell(6, 1).value == "坏"
    assert sheet.cell(6, note).value.startswith("优抚类别：优抚类别“无”不是可选的类别")
    assert sheet.cell(6, 1).fill.start_color.rgb.endswith("F4CCCC")


def test_a_deleted_person_is_not_brought_back_by_an_import(client, auth_headers, user, county):
    from server.beneficiaries.operations import delete_beneficiary

    gone = factories.beneficiary(county.regions["V11"], user("admin"), name="已删",
                                 id_number=number(serial=970))
    delete_beneficiary(gone, user("admin"))
    db.session.commit()
    body = upload(client, auth_headers("admin"), workbook([person("已删", number(serial=970))]),
                  dry_run=False).json
    assert errors_of(body) == {(4, "身份证号", "该身份证号的人员已从系统中删除，不能导入，请联系县民政局")}
    assert body["created"] == 0


def test_the_roster_is_found_on_whichever_sheet_has_the_header(client, auth_headers):
    book = load_workbook(io.BytesIO(workbook([person("第二页", number(serial=980))])))
    notes = book.create_sheet("填表说明", 0)  # a sheet of instructions comes first
    notes.append(["姓名请写全名"])
    buffer = io.BytesIO()
    book.save(buffer)
    body = upload(client, auth_headers("admin"), buffer.getvalue()).json
    assert (body["created"], body["errors"]) == (1, [])
