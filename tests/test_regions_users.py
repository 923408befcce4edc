import pytest
from sqlalchemy import select

from server.extensions import db
from server.records.models import AuditEntry
from tests.factories import PASSWORD


def test_regions_are_scoped(client, auth_headers):
    def names(username):
        response = client.get("/api/v1/regions", headers=auth_headers(username))
        return {r["name"] for r in response.json}

    assert names("liaison1") == {"测试县", "一号镇", "一号镇甲村"}
    assert names("township1") == {"测试县", "一号镇", "一号镇甲村", "一号镇乙村"}
    assert names("county1") == {"测试县", "一号镇", "二号镇", "一号镇甲村", "一号镇乙村", "二号镇丙村"}


def test_region_filters(client, auth_headers, county):
    response = client.get("/api/v1/regions", query_string={"level": "village",
                          "parent_id": str(county.regions["T1"])}, headers=auth_headers("admin"))
    assert [r["code"] for r in response.json] == ["510801001", "510801002"]


def test_another_region_is_404(client, auth_headers, county):
    response = client.get(f"/api/v1/regions/{county.regions['V21']}", headers=auth_headers("liaison1"))
    assert response.status_code == 404


def test_admin_creates_and_renames_a_village(client, auth_headers, county):
    headers = auth_headers("admin")
    response = client.post("/api/v1/regions", json={
        "code": "510801003", "name": "一号镇丁村", "level": "village", "parent_id": str(county.regions["T1"]),
    }, headers=headers)
    assert response.status_code == 201, response.json
    renamed = client.patch(f"/api/v1/regions/{response.json['id']}", json={"name": "一号镇新村"}, headers=headers)
    assert renamed.json["name"] == "一号镇新村"
    assert renamed.json["version"] == 2


def test_region_rules(client, auth_headers, county):
    headers = auth_headers("admin")
    duplicate = client.post("/api/v1/regions", json={
        "code": "510801001", "name": "重复", "level": "village", "parent_id": str(county.regions["T1"])},
        headers=headers)
    assert duplicate.json["errors"] == {"code": ["代码已存在"]}
    wrong_parent = client.post("/api/v1/regions", json={
        "code": "510801009", "name": "错层", "level": "village", "parent_id": str(county.regions["C"])},
        headers=headers)
    assert wrong_parent.json["errors"] == {"parent_id": ["上级地区不存在或级别不对"]}


def test_only_admin_manages_regions(client, auth_headers, county):
    response = client.post("/api/v1/regions", json={
        "code": "510801004", "name": "x村", "level": "village", "parent_id": str(county.regions["T1"])},
        headers=auth_headers("county1"))
    assert response.status_code == 403


def test_admin_creates_a_liaison_who_can_log_in(client, auth_headers, county):
    response = client.post("/api/v1/users", json={
        "username": "newliaison", "password": "Xinmima-2026", "display_name": "新联络员",
        "role": "liaison", "region_id": str(county.regions["V12"]),
    }, headers=auth_headers("admin"))
    assert response.status_code == 201, response.json
    assert "password_hash" not in response.json
    login = client.post("/api/v1/auth/login", json={"username": "newliaison", "password": "Xinmima-2026"})
    assert login.status_code == 200
    assert login.json["user"]["region"]["name"] == "一号镇乙村"


def test_user_rules(client, auth_headers, county):
    headers = auth_headers("admin")
    weak = client.post("/api/v1/users", json={"username": "weakling", "password": "abcdefgh",
                       "role": "liaison", "region_id": str(county.regions["V12"])}, headers=headers)
    assert weak.json["errors"] == {"password": ["密码须包含大写字母、小写字母、数字、符号中的至少三类"]}
    common = client.post("/api/v1/users", json={"username": "commonpw", "password": "Password1!",
                         "role": "liaison", "region_id": str(county.regions["V12"])}, headers=headers)
    assert common.json["errors"] == {"password": ["密码过于常见或容易猜到，请换一个"]}
    wrong_level = client.post("/api/v1/users", json={"username": "wronglevel", "password": PASSWORD,
                              "role": "liaison", "region_id": str(county.regions["T1"])}, headers=headers)
    assert wrong_level.json["errors"] == {"region": ["该角色须分配到村（居）"]}
    taken = client.post("/api/v1/users", json={"username": "LIAISON1", "password": PASSWORD,
                        "role": "liaison", "region_id": str(county.regions["V12"])}, headers=headers)
    assert taken.json["errors"] == {"username": ["用户名已存在"]}


def test_every_problem_of_a_new_user_comes_back_at_once(client, auth_headers, county):
    """The form marks every field in one go: a taken name, a weak password and a region
    of the wrong level are reported together, not one per attempt."""
    response = client.post("/api/v1/users", json={
        "username": "liaison1", "password": "abcdefgh", "role": "township_officer",
        "region_id": str(county.regions["V11"])}, headers=auth_headers("admin"))
    assert response.status_code == 422
    assert response.json["errors"] == {
        "username": ["用户名已存在"],
        "password": ["密码须包含大写字母、小写字母、数字、符号中的至少三类"],
        "region": ["该角色须分配到乡镇"],
    }


@pytest.mark.parametrize(("role", "region"), [("township_officer", "T1"),
                                              ("county_officer", "C"), ("admin", "C")])
def test_an_admin_creates_every_role_at_its_level(client, auth_headers, county, role, region):
    region_id = (county.regions[region] if region != "C" else
                 client.get("/api/v1/auth/me", headers=auth_headers("admin")).json["region"]["id"])
    response = client.post("/api/v1/users", json={
        "username": f"new{role}"[:40], "password": "Xinmima-2026", "display_name": "新用户",
        "role": role, "region_id": str(region_id)}, headers=auth_headers("admin"))
    assert response.status_code == 201, response.json
    assert response.json["role"] == role


def test_reassigning_a_liaison_changes_their_scope_at_once(client, auth_headers, county, dummy_beneficiary):
    liaison_headers = auth_headers("liaison1")
    url = f"/api/v1/beneficiaries/{dummy_beneficiary.id}"
    assert client.get(url, headers=liaison_headers).status_code == 200
    users = client.get("/api/v1/users", query_string={"q": "liaison1"}, headers=auth_headers("admin")).json
    liaison_id = users["items"][0]["id"]
    moved = client.patch(f"/api/v1/users/{liaison_id}", json={"region_id": str(county.regions["V21"])},
                         headers=auth_headers("admin"))
    assert moved.status_code == 200
    assert client.get(url, headers=liaison_headers).status_code == 404
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "user_account",
                                                        AuditEntry.action == "update")).one()
    assert "region_id" in audit.changes


def test_disabling_a_user(client, auth_headers, county, user):
    headers = auth_headers("liaison2")
    response = client.patch(f"/api/v1/users/{county.users['liaison2']}", json={"active": False},
                            headers=auth_headers("admin"))
    assert response.json["active"] is False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_user_admin_is_admin_only(client, auth_headers):
    for username in ("liaison1", "township1", "county1"):
        assert client.get("/api/v1/users", headers=auth_headers(username)).status_code == 403


def test_user_list_filters(client, auth_headers, county):
    headers = auth_headers("admin")
    liaisons = client.get("/api/v1/users", query_string={"role": "liaison"}, headers=headers).json
    assert {u["username"] for u in liaisons["items"]} == {"liaison1", "liaison2", "liaison3"}
    in_t1 = client.get("/api/v1/users", query_string={"region_id": str(county.regions["T1"])}, headers=headers).json
    assert [u["username"] for u in in_t1["items"]] == ["township1"]
    assert client.get("/api/v1/users/99999", headers=headers).status_code == 404
