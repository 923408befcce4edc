"""`flask --app server create-user`: the operator's way to add an account."""

from sqlalchemy import select

from server.extensions import db
from server.users.models import User


def test_create_user_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(args=["create-user", "newofficer", "--role", "township_officer",
                                 "--region", "510802", "--name", "新干部"],
                           input="Xinmima-2026\n")
    assert result.exit_code == 0, result.output
    assert "已创建用户 newofficer" in result.output
    user = db.session.scalar(select(User).where(User.username == "newofficer"))
    assert (user.role, user.region.name, user.display_name) == ("township_officer", "二号镇", "新干部")
    login = client.post("/api/v1/auth/login", json={"username": "newofficer", "password": "Xinmima-2026"})
    assert login.status_code == 200


def test_create_user_refuses_bad_input_in_chinese(runner):
    unknown = runner.invoke(args=["create-user", "x1x", "--role", "liaison", "--region", "999"],
                            input="Xinmima-2026\n")
    assert unknown.exit_code != 0
    assert "地区代码不存在" in unknown.output
    weak = runner.invoke(args=["create-user", "weakone", "--role", "liaison", "--region", "510801001"],
                         input="short\n")
    assert weak.exit_code != 0
    assert "密码至少 8 位" in weak.output
    wrong_level = runner.invoke(args=["create-user", "wronglevel", "--role", "liaison",
                                      "--region", "510801"], input="Xinmima-2026\n")
    assert wrong_level.exit_code != 0
    assert "该角色须分配到村（居）" in wrong_level.output
    assert db.session.scalar(select(User).where(User.username.in_(["x1x", "weakone", "wronglevel"]))) is None
