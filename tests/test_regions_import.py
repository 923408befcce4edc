"""Regions import: townships and villages from a 统计用区划代码 sheet (#18 point 2).

The workbooks are real ones, made by openpyxl here, as a county's clerk would keep
them: a title row above the header, codes typed as numbers, columns in any order.
"""

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from server.extensions import db
from server.records.models import AuditEntry, SyncChange
from server.regions.models import Region
from tests import factories

IMPORT = "/api/v1/regions/import"
HEADER = ["统计用区划代码", "名称", "级别", "上级代码"]
# the test county is 510800 (short code): its 12-digit form is 510800000000
GOOD = [
    [510800101000, "青龙镇", "乡镇", "510800000000"],
    [510800101201, "石桥村", "村", 510800101000],
    ["510800101202", "河坝村", "", ""],
    ["510800102000", "白鹤乡", "", ""],
    ["510800102001", "白鹤社区", "居", ""],
]


def workbook(rows, header=HEADER, title="测试县统计用区划代码表"):
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.append([])  # trailing blank rows, as Excel leaves them
    sheet.append([None, None])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, headers, data, *, dry_run, name="区划.xlsx"):
    return client.post(IMPORT, headers=headers, content_type="multipart/form-data", data={
        "file": (BytesIO(data), name), "dry_run": "true" if dry_run else "false"})


def region(code):
    return db.session.scalar(select(Region).where(Region.code == code))


def counts():
    return (db.session.scalar(select(func.count()).select_from(Region)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
            db.session.scalar(select(func.count()).select_from(SyncChange)))


def test_the_import_creates_the_tree_with_its_parents(client, auth_headers):
    headers = auth_headers("admin")
    before = counts()
    response = upload(client, headers, workbook(GOOD), dry_run=False)
    assert response.status_code == 200, response.json
    assert response.json == {"dry_run": False, "created": 5, "renamed": 0, "unchanged": 0,
                             "errors": []}
    county = db.session.scalar(select(Region).where(Region.code == "510800"))
    township = region("510800101000")
    assert (township.name, township.level, township.parent_id) == ("青龙镇", "township", county.id)
    village = region("510800101202")
    assert (village.level, village.parent_id, village.version) == ("village", township.id, 1)
    assert region("510800102001").parent_id == region("510800102000").id
    after = counts()
    assert after[0] == before[0] + 5
    assert after[2] >= before[2] + 5  # phones get the new regions
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.id > 0).order_by(AuditEntry.id.desc()).limit(6)).all()
    assert sorted(actions) == sorted(["create"] * 5 + ["import_regions"])


def test_a_second_import_changes_nothing(client, auth_headers):
    headers = auth_headers("admin")
    upload(client, headers, workbook(GOOD), dry_run=False)
    before = counts()
    versions = dict(db.session.execute(select(Region.code, Region.version)).all())
    again = upload(client, headers, workbook(GOOD), dry_run=False)
    assert again.json == {"dry_run": False, "created": 0, "renamed": 0, "unchanged": 5,
                          "errors": []}
    db.session.expire_all()
    assert counts() == before  # no new region, audit row or change for phones
    assert dict(db.session.execute(select(Region.code, Region.version)).all()) == versions


def test_a_changed_name_renames_the_same_region(client, auth_headers):
    headers = auth_headers("admin")
    upload(client, headers, workbook(GOOD), dry_run=False)
    village = region("510800101201")
    renamed = [row[:] for row in GOOD]
    renamed[1][1] = "石桥新村"
    response = upload(client, headers, workbook(renamed), dry_run=False)
    assert response.json["renamed"] == 1 and response.json["created"] == 0
    db.session.expire_all()
    again = region("510800101201")
    assert (again.id, again.name, again.version) == (village.id, "石桥新村", 2)
    rename = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "rename", AuditEntry.record_id == str(village.id)))
    assert rename.changes == {"name": ["石桥村", "石桥新村"]}


def test_a_short_stored_code_is_the_same_region_as_its_padded_form(client, auth_headers, county):
    """The demo seed stores 6/9-digit codes: 510800000000 is the county 510800."""
    headers = auth_headers("admin")
    response = upload(client, headers, workbook([["510800000000", "测试县", "县", ""]]),
                      dry_run=False)
    assert response.json["unchanged"] == 1 and response.json["created"] == 0
    renamed = upload(client, headers, workbook([["510800000000", "新测试县", "县", ""]]),
                     dry_run=False)
    assert renamed.json["renamed"] == 1
    db.session.expire_all()
    assert db.session.get(Region, county.regions["C"]).name == "新测试县"


def test_the_dry_run_reports_every_problem_by_row_and_column_and_changes_nothing(
        client, auth_headers):
    headers = auth_headers("admin")
    rows = GOOD + [
        ["51080010120", "短码村", "", ""],  # row 9: 11 digits
        ["510800101201", "重复村", "", ""],  # row 10: the code of row 5 again
        ["510800109201", "无主村", "", ""],  # row 11: township 510800109000 is nowhere
        ["510800101203", "错级村", "乡镇", ""],  # row 12: a village's code, 级别 乡镇
        ["510800101204", "", "", ""],  # row 13: no name
        ["510800101205", "错上级村", "", "510800102000"],  # row 14: parent not by the code
        ["510900101000", "外县镇", "", ""],  # row 15: another county
        ["510800000201", "无乡镇村", "", ""],  # row 16: village under township 000
        ["510800103000", "某镇", "区级", ""],  # row 17: unknown level word
    ]
    before = counts()
    response = upload(client, headers, workbook(rows), dry_run=True)
    assert response.status_code == 200
    body = response.json
    assert (body["dry_run"], body["created"], body["renamed"], body["unchanged"]) == (
        True, 5, 0, 0)
    assert body["errors"] == [
        {"row": 9, "column": "统计用区划代码",
         "message": "代码“51080010120”不对：应为 12 位数字的统计用区划代码"},
        {"row": 10, "column": "统计用区划代码",
         "message": "代码 510800101201 在表中重复（与第 5 行相同）"},
        {"row": 11, "column": "上级代码",
         "message": "上级地区 510800109000 不存在：请先导入上级，或把它列在表中"},
        {"row": 12, "column": "级别", "message": "级别“乡镇”与代码不符：代码 510800101203 是村（居）级"},
        {"row": 13, "column": "名称", "message": "名称不能为空"},
        {"row": 14, "column": "上级代码",
         "message": "上级代码“510800102000”与代码不符：应为 510800101000"},
        {"row": 15, "column": "统计用区划代码", "message": "代码 510900101000 不属于本县"},
        {"row": 16, "column": "统计用区划代码",
         "message": "代码“510800000201”不对：乡镇部分为 000 的代码不能是村"},
        {"row": 17, "column": "级别", "message": "级别“区级”不认识：应为 县、乡镇 或 村"},
    ]
    db.session.expire_all()
    assert counts() == before


def test_the_good_rows_are_applied_and_the_bad_ones_left_out(client, auth_headers):
    headers = auth_headers("admin")
    rows = GOOD + [["510800109201", "无主村", "", ""]]
    response = upload(client, headers, workbook(rows), dry_run=False)
    assert response.json["created"] == 5 and len(response.json["errors"]) == 1
    assert region("510800109201") is None
    assert region("510800101201") is not None


def test_a_child_of_a_refused_row_is_refused_too(client, auth_headers):
    headers = auth_headers("admin")
    rows = [["510800104000", "", "", ""], ["510800104201", "孤村", "", ""]]
    response = upload(client, headers, workbook(rows), dry_run=True)
    assert [(e["row"], e["message"]) for e in response.json["errors"]] == [
        (4, "名称不能为空"), (5, "上级地区 510800104000 所在行有错误")]


def test_a_csv_without_level_or_parent_and_with_other_header_names(client, auth_headers):
    headers = auth_headers("admin")
    text = "巴山县区划表\n代码,名称\n510800105000,新华镇\n５１０８００１０５２０１,新华村\n"
    response = upload(client, headers, text.encode("gb18030"), dry_run=False, name="区划.csv")
    assert response.json["created"] == 2, response.json
    assert region("510800105201").parent_id == region("510800105000").id


@pytest.mark.parametrize("data, name, message", [
    (b"not a workbook", "区划.xlsx", "文件无法打开"),
    (b"", "区划.txt", "只能上传 Excel（.xlsx）或 CSV 文件"),
    (None, "区划.xlsx", "找不到表头"),
])
def test_a_file_that_cannot_be_read_is_a_422_on_file(client, auth_headers, data, name, message):
    if data is None:
        data = workbook([["x", "y"]], header=["编号", "村名"])
    response = upload(client, auth_headers("admin"), data, dry_run=True, name=name)
    assert response.status_code == 422
    assert message in response.json["errors"]["file"][0]


def test_only_an_admin_imports_regions(client, auth_headers):
    for username in ("county1", "township1", "liaison1"):
        response = upload(client, auth_headers(username), workbook(GOOD), dry_run=True)
        assert response.status_code == 403


def test_the_template_is_a_workbook_the_import_reads(client, auth_headers):
    response = client.get("/api/v1/regions/template", headers=auth_headers("admin"))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    assert [c.value for c in book["区划"][2]] == HEADER
    assert "填写说明" in book.sheetnames
    # the template's own example is of another county: refused row by row, read fine
    checked = upload(client, auth_headers("admin"), response.data, dry_run=True)
    assert checked.status_code == 200
    assert [e["row"] for e in checked.json["errors"]] == [3, 4, 5]


def test_the_command_line_loads_an_empty_database_before_the_first_admin(
        backend, databases, tmp_path):
    sheet = tmp_path / "区划.xlsx"
    sheet.write_bytes(workbook([
        ["510822000000", "巴山县", "县", ""], ["510822101000", "青龙镇", "", ""],
        ["510822101201", "石桥村", "", ""], ["510822101202", "河坝村", "", ""],
        ["510822102000", "白鹤乡", "", ""], ["510822102001", "白鹤社区", "", ""]]))
    with databases.committed_app(backend, "regions_cli", county=None) as app, \
            app.app_context():
        runner = app.test_cli_runner()
        dry = runner.invoke(args=["regions", "import", str(sheet), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "试导入（未改动）：新建 6" in dry.output
        assert db.session.scalar(select(func.count()).select_from(Region)) == 0
        done = runner.invoke(args=["regions", "import", str(sheet)])
        assert done.exit_code == 0, done.output
        assert "已导入：新建 6，更名 0，未变 0，有错 0 行" in done.output
        admin = runner.invoke(args=["create-user", "chief", "--role", "admin",
                                    "--region", "510822"], input=factories.PASSWORD + "\n")
        assert admin.exit_code == 0, admin.output
        bad = tmp_path / "坏.xlsx"
        bad.write_bytes(workbook([["510822101999", "", "", ""]]))
        refused = runner.invoke(args=["regions", "import", str(bad)])
        assert refused.exit_code == 1
        assert "第 4 行 名称：名称不能为空" in refused.output
        broken = tmp_path / "坏.csv"
        broken.write_bytes(b"\xff\xfe\x00garbage")
        assert runner.invoke(args=["regions", "import", str(broken)]).exit_code == 2
