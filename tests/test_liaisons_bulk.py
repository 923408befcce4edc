"""Liaison accounts in bulk: one per village without one, from the regions or a sheet."""

from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server.extensions import db
from server.records.models import AuditEntry
from server.records.versioning import create_record
from server.regions.models import Region
from server.users.models import User
from tests import factories

BULK = "/api/v1/liaisons/bulk"


@pytest.fixture
def new_villages(app, county):
    """Three villages without a liaison: two in township 1, one in township 2."""
    made = {}
    for key, code, name, parent in (("V13", "510801003", "一号镇丁村", "T1"),
                                    ("V14", "510801004", "一号镇戊村", "T1"),
                                    ("V22", "510802002", "二号镇己村", "T2")):
        made[key] = create_record(Region(code=code, name=name, level="village",
                                         parent_id=county.regions[parent]), None).id
    db.session.commit()
    return made


def sheet(rows, header=("姓名", "联系电话", "村（居）代码")):
    book = Workbook()
    book.active.append(["测试县村（居）民政信息联络员名单"])
    book.active.append(list(header))
    for row in rows:
        book.active.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def post_sheet(client, headers, data, *, dry_run):
    return client.post(BULK, headers=headers, content_type="multipart/form-data", data={
        "file": (BytesIO(data), "联络员.xlsx"), "dry_run": "true" if dry_run else "false"})


def users():
    return db.session.scalar(select(func.count()).select_from(User))


def test_the_dry_run_lists_one_account_per_village_without_a_liaison(
        client, auth_headers, new_villages):
    before = users(), db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.post(BULK, json={"dry_run": True}, headers=auth_headers("admin"))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["dry_run"] is True and body["skipped"] == 3 and body["errors"] == []
    assert [(c["id"], c["username"], c["display_name"], c["village_name"])
            for c in body["created"]] == [
        (None, "lx510801003", "一号镇丁村联络员", "一号镇丁村"),
        (None, "lx510801004", "一号镇戊村联络员", "一号镇戊村"),
        (None, "lx510802002", "二号镇己村联络员", "二号镇己村")]
    assert (users(), db.session.scalar(select(func.count()).select_from(AuditEntry))) == before


def test_the_accounts_are_made_audited_and_have_no_password(client, auth_headers, new_villages):
    response = client.post(BULK, json={"dry_run": False}, headers=auth_headers("admin"))
    created = response.json["created"]
    assert len(created) == 3 and all(c["id"] for c in created)
    made = db.session.get(User, created[0]["id"])
    assert (made.role, made.region_id, made.active) == ("liaison", new_villages["V13"], True)
    assert not made.password_hash.startswith("$argon2")
    login = client.post("/api/v1/auth/login", json={"username": made.username,
                                                    "password": made.password_hash})
    assert login.status_code == 401  # no password signs in: the slip is the login
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.in_(["create", "bulk_create_liaisons"]),
        AuditEntry.entity == "user_account").order_by(AuditEntry.id.desc()).limit(4)).all()
    assert sorted(actions) == ["bulk_create_liaisons", "create", "create", "create"]
    again = client.post(BULK, json={"dry_run": False}, headers=auth_headers("admin"))
    assert again.json["created"] == [] and again.json["skipped"] == 6


def test_a_township_at_a_time_and_a_taken_username_gets_a_suffix(
        client, auth_headers, county, new_villages, user):
    former = factories.create_user(username="lx510802002", password=factories.PASSWORD,
                                   role="liaison", region_id=new_villages["V22"])
    former.active = False
    db.session.commit()
    response = client.post(BULK, json={"township_id": str(county.regions["T2"]),
                                       "dry_run": False}, headers=auth_headers("admin"))
    assert [c["username"] for c in response.json["created"]] == ["lx510802002-2"]
    assert response.json["skipped"] == 1  # 二号镇丙村 has liaison3
    unknown = client.post(BULK, json={"township_id": str(county.regions["V11"])},
                          headers=auth_headers("admin"))
    assert unknown.status_code == 422 and "township_id" in unknown.json["errors"]


def test_accounts_from_a_sheet_with_every_problem_by_row(client, auth_headers, new_villages):
    rows = [
        ("王德明", "13800001111", "510801003"),  # row 3: by code
        ("", "13800001112", "510801004"),  # row 4: no name
        ("李四", "12345", "510802002"),  # row 5: bad phone
        ("赵五", "", "510899999"),  # row 6: no such village
        ("孙六", "", "510801001"),  # row 7: 一号镇甲村 has liaison1 (named liaison1)
        ("liaison2", "", "510801002"),  # row 8: the same liaison again: skipped
        ("周七", "", "510801003"),  # row 9: the village of row 3 again
        ("吴八", "１３９００００２２２２", "510802002"),  # row 10: full-width digits
    ]
    response = post_sheet(client, auth_headers("admin"), sheet(rows), dry_run=True)
    assert response.status_code == 200, response.json
    body = response.json
    assert [(c["username"], c["display_name"], c["phone"]) for c in body["created"]] == [
        ("lx510801003", "王德明", "13800001111"), ("lx510802002", "吴八", "13900002222")]
    assert body["skipped"] == 1
    assert body["errors"] == [
        {"row": 4, "column": "姓名", "message": "姓名不能为空"},
        {"row": 5, "column": "联系电话",
         "message": "请输入正确的手机号（11位）或座机号（如 0817-1234567）"},
        {"row": 6, "column": "村（居）代码", "message": "村（居）代码 510899999 不存在或不是村（居）"},
        {"row": 7, "column": "姓名",
         "message": "一号镇甲村已有联络员 liaison1（liaison1）；如需更换，请先停用原账号"},
        {"row": 9, "column": "村（居）代码", "message": "一号镇丁村在表中已有联络员（第 3 行）"},
    ]
    before = users()
    applied = post_sheet(client, auth_headers("admin"), sheet(rows), dry_run=False)
    assert len(applied.json["created"]) == 2
    assert users() == before + 2
    made = db.session.get(User, applied.json["created"][0]["id"])
    assert (made.display_name, made.phone, made.region_id) == (
        "王德明", "13800001111", new_villages["V13"])


def test_a_sheet_naming_villages_under_their_township(client, auth_headers, new_villages):
    rows = [("王一", "", "一号镇", "一号镇戊村"), ("王二", "", "", "二号镇己村"),
            ("王三", "", "三号镇", "某村"), ("王四", "", "二号镇", "一号镇丁村")]
    response = post_sheet(client, auth_headers("admin"), sheet(
        rows, header=("姓名", "联系电话", "乡镇（街道）", "村（居）名称")), dry_run=True)
    body = response.json
    assert [c["village_name"] for c in body["created"]] == ["一号镇戊村", "二号镇己村"]
    assert body["errors"] == [
        {"row": 5, "column": "乡镇（街道）", "message": "乡镇（街道）“三号镇”不存在"},
        {"row": 6, "column": "村（居）名称", "message": "二号镇没有“一号镇丁村”"}]


def test_a_sheet_without_a_village_column_is_refused(client, auth_headers):
    response = post_sheet(client, auth_headers("admin"), sheet(
        [("王一", "")], header=("姓名", "联系电话")), dry_run=True)
    assert response.status_code == 422
    assert response.json["errors"]["file"] == ["表中应有“村（居）代码”列，或“村（居）名称”列"]


def test_only_an_admin_makes_liaison_accounts(client, auth_headers, new_villages):
    for username in ("county1", "township1", "liaison1"):
        assert client.post(BULK, json={"dry_run": False},
                           headers=auth_headers(username)).status_code == 403
        assert post_sheet(client, auth_headers(username), sheet([("王一", "", "510801003")]),
                          dry_run=False).status_code == 403
