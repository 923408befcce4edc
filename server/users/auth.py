"""flask-jwt-extended wiring: every request reloads its user and checks its session.

Because the user is read from the database on each request, disabling a user
or changing their role or region applies at once, even to unexpired tokens.
Each request also checks its login session: revoked, expired, or — for staff —
idle for longer than ``LIANXIN_STAFF_IDLE_MINUTES``.
"""

from flask import g
from flask_jwt_extended import current_user

from ..errors import ApiError, problem
from ..extensions import db, jwt
from .models import User
from .operations import check_session, idle_limit, note_activity

IDLE_MESSAGE = "长时间未操作，已自动退出，请重新登录"


@jwt.user_lookup_loader
def _load_user(_header, payload):
    # The session check (below, run first) read the user with the session: taken from
    # there, since the session's identity map alone would not keep it alive.
    user = g.pop("token_user", None)
    if user is None or user.id != int(payload["sub"]):
        user = db.session.get(User, int(payload["sub"]))
    return user if user is not None and user.active else None


@jwt.token_in_blocklist_loader
def _is_revoked(_header, payload):
    """Every access and refresh token: its login session must be open and, for staff,
    not idle (``LIANXIN_STAFF_IDLE_MINUTES``). An idle session ends here and answers
    401 ``session_idle``, so the app can tell it from an expired token."""
    if "sid" not in payload:
        return True
    check = check_session(payload)
    g.token_user = check.user
    if check.state in ("idle", "seen"):
        # Written in a transaction of its own that starts with the write: on SQLite a
        # GET's deferred transaction that has already read may not turn into a writer.
        db.session.commit()
        check = note_activity(check)
        db.session.commit()  # an idle session stays ended although this request is refused
    if check.state == "idle":
        minutes = int(idle_limit().total_seconds() // 60)
        raise ApiError(IDLE_MESSAGE, status=401, code="session_idle", idle_minutes=minutes)
    return check.state != "active"


@jwt.expired_token_loader
def _expired(_header, _payload):
    return problem(401, "登录已过期，请重新登录", code="token_expired")


@jwt.invalid_token_loader
def _invalid(reason):
    return problem(401, "登录凭证无效，请重新登录", code="token_invalid")


@jwt.unauthorized_loader
def _missing(reason):
    return problem(401, "请先登录", code="token_missing")


@jwt.revoked_token_loader
def _revoked(_header, _payload):
    return problem(401, "登录已失效，请重新登录", code="token_revoked")


@jwt.user_lookup_error_loader
def _user_gone(_header, _payload):
    return problem(401, "账号已停用或不存在", code="account_disabled")


@jwt.needs_fresh_token_loader
def _needs_fresh(_header, _payload):
    return problem(401, "此操作需要重新输入密码登录", code="fresh_login_required")


@jwt.token_verification_failed_loader
def _verification_failed(_header, _payload):
    return problem(401, "登录凭证无效，请重新登录", code="token_invalid")


def actor():
    """The signed-in user of this request."""
    return current_user
