"""The password policy (docs/security.md): at least 8 characters, three of four
character classes, and a zxcvbn score of at least 3 — on every path that sets a
password: ``flask create-user``, an admin creating a user, an admin changing one.
Each refusal names the rule in Chinese, on the ``password`` field."""

import pytest
from sqlalchemy import select

from server.extensions import db
from server.regions.models import Region
from server.users.models import User
from server.users.operations import password_matches, password_problem

TOO_SHORT = "密码至少 8 位"
TOO_FEW_KINDS = "密码须包含大写字母、小写字母、数字、符号中的至少三类"
TOO_COMMON = "密码过于常见或容易猜到，请换一个"

# (password, the refusal, or None when accepted)
RULES = [
    ("Ab1!xyz", TOO_SHORT),            # 7 characters, four classes
    ("Xq7#", TOO_SHORT),
    ("abcdefghij", TOO_FEW_KINDS),     # one class
    ("abcdefgh12", TOO_FEW_KINDS),     # two classes: lower, digit
    ("ABCDEFGH!!", TOO_FEW_KINDS),     # two classes: upper, symbol
    ("Password1!", TOO_COMMON),        # three classes, but the first a guesser tries
    ("Qwerty123!", TOO_COMMON),
    ("Abcd1234", TOO_COMMON),
    ("Admin@123", TOO_COMMON),         # the classic Chinese default password
    ("P@ssw0rd", TOO_COMMON),
    ("Lianxin2026!", TOO_COMMON),      # the product's name (zxcvbn alone scores it 4)
    ("LianXin@2026", TOO_COMMON),
    ("Xinmima-2026", None),            # upper, lower, digit, symbol; score 4
    ("fengshou7-Qiao", None),
    ("river7-Lantern", None),
]


@pytest.mark.parametrize(("password", "refusal"), RULES)
def test_each_rule(password, refusal):
    assert password_problem(password) == refusal


def test_the_username_and_name_count_as_easily_guessed():
    assert password_problem("Zhangsan#2026") is None
    assert password_problem("Zhangsan#2026", ("zhangsan", "张三")) == TOO_COMMON


def test_the_countys_name_and_configured_words_count_as_easily_guessed(app, monkeypatch):
    """The county's region (测试县, code 510800 in the tests) and the words an
    installation adds in LIANXIN_PASSWORD_WORDS (its name in pinyin)."""
    from server.users.operations import guessable_words

    assert password_problem("Bashan2026!", guessable_words()) is None
    monkeypatch.setitem(app.config, "LIANXIN_PASSWORD_WORDS", ["bashan"])
    assert password_problem("Bashan2026!", guessable_words()) == TOO_COMMON
    words = guessable_words("liaison1")
    assert "liaison1" in words and "bashan" in words
    county = db.session.scalar(select(Region).where(Region.level == "county"))
    assert county.name in words and county.code in words


def test_the_configured_words_come_from_the_environment(monkeypatch):
    from server import config

    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        monkeypatch.setenv(name, "x" * 48)
    monkeypatch.setenv("LIANXIN_DATA_KEY", "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LXRlc3Q=")
    monkeypatch.setenv("LIANXIN_PASSWORD_WORDS", "bashan, bazhou ,")
    assert config.from_environment()["LIANXIN_PASSWORD_WORDS"] == ["bashan", "bazhou"]


def cases():
    return [pytest.param(password, refusal, id=password) for password, refusal in RULES
            if password in ("Ab1!xyz", "abcdefgh12", "Password1!", "Lianxin2026!", "Xinmima-2026")]


@pytest.mark.parametrize(("password", "refusal"), cases())
def test_admin_creating_a_user(client, auth_headers, county, password, refusal):
    response = client.post("/api/v1/users", json={
        "username": "newliaison", "password": password, "role": "liaison",
        "region_id": str(county.regions["V12"]),
    }, headers=auth_headers("admin"))
    if refusal is None:
        assert response.status_code == 201, response.json
        return
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"password": [refusal]}
    assert db.session.scalar(select(User).where(User.username == "newliaison")) is None


def test_admin_creating_a_user_named_in_the_password(client, auth_headers, county):
    response = client.post("/api/v1/users", json={
        "username": "zhangsan", "password": "Zhangsan#2026", "role": "liaison",
        "region_id": str(county.regions["V12"]),
    }, headers=auth_headers("admin"))
    assert response.json["errors"] == {"password": [TOO_COMMON]}


@pytest.mark.parametrize(("password", "refusal"), cases())
def test_admin_changing_a_password(client, auth_headers, county, user, password, refusal):
    response = client.patch(f"/api/v1/users/{county.users['liaison2']}", json={"password": password},
                            headers=auth_headers("admin"))
    if refusal is None:
        assert response.status_code == 200, response.json
        assert password_matches(user("liaison2"), password)
        return
    assert response.status_code == 422
    assert response.json["errors"] == {"password": [refusal]}
    assert not password_matches(user("liaison2"), password)


def test_changing_a_password_to_one_naming_the_user(client, auth_headers, county):
    response = client.patch(f"/api/v1/users/{county.users['liaison2']}",
                            json={"password": "Liaison2#2026"}, headers=auth_headers("admin"))
    assert response.json["errors"] == {"password": [TOO_COMMON]}


@pytest.mark.parametrize(("password", "refusal"), cases())
def test_create_user_on_the_command_line(runner, password, refusal):
    result = runner.invoke(args=["create-user", "cliuser", "--role", "liaison",
                                 "--region", "510801001"], input=f"{password}\n")
    made = db.session.scalar(select(User).where(User.username == "cliuser"))
    if refusal is None:
        assert result.exit_code == 0, result.output
        assert made is not None
        return
    assert result.exit_code != 0
    assert f"password: {refusal}" in result.output
    assert made is None


def test_an_empty_password_is_refused_per_field(client, auth_headers, county):
    response = client.post("/api/v1/users", json={
        "username": "newliaison", "password": "", "role": "liaison",
        "region_id": str(county.regions["V12"]),
    }, headers=auth_headers("admin"))
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["password"]
