"""Authentication and user management: passwords, lockout, login sessions (idle timeout), token rotation."""

import math
import secrets
import uuid
from datetime import datetime, timedelta
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app, has_request_context, request
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import lazyload
from zxcvbn import zxcvbn

from .. import scope
from ..common.choices import REGION_LEVELS
from ..common.timeutil import utcnow
from ..errors import ApiError, NotFound, ValidationFailed
from ..extensions import db
from ..records.audit import audit, audit_despite_rollback
from ..regions.models import Region
from .models import LoginSession, User
from .throttle import throttle

_hasher = PasswordHasher()

# The village/township/county a role must be attached to.
ROLE_REGION_LEVEL = {
    "liaison": "village",
    "township_officer": "township",
    "county_officer": "county",
    "admin": "county",
}


def hash_password(password):
    return _hasher.hash(password)


# The stored "hash" of an account made without a password (a liaison made in bulk, who
# signs in with their enrollment slip): no argon2 hash, so no password matches it until
# an admin sets one. Random, so two such accounts never share a value.
UNUSABLE_PREFIX = "!no-password:"


def unusable_password():
    return UNUSABLE_PREFIX + secrets.token_urlsafe(24)


def password_matches(user, password):
    if user.password_hash.startswith(UNUSABLE_PREFIX):
        _hasher.hash(password)  # as long as a real check: the answer's time tells nothing
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


# The product's own name, which every user sees on every screen: "Lianxin2026!" has
# three classes and scores 4 for zxcvbn, which does not know the word.
PRODUCT_WORDS = ("lianxin", "连心", "lianxinka", "连心卡")


def guessable_words(*user_words):
    """The easily guessed words for a password of this installation: the product's
    name, the county's name and code (the county region), the words of
    ``LIANXIN_PASSWORD_WORDS`` (e.g. the county's name in pinyin), and ``user_words``
    (a username, a display name)."""
    words = list(user_words)
    for name, code in db.session.execute(select(Region.name, Region.code).where(
            Region.level == "county", Region.deleted_at.is_(None))).all():
        words += [name, name.removesuffix("县"), code]
    words += current_app.config.get("LIANXIN_PASSWORD_WORDS", [])
    return tuple(words)


def password_problem(password, user_inputs=()):
    """Why a new password is not acceptable, or None.

    ``user_inputs`` (the username, the display name, the county's name: see
    :func:`guessable_words`) count as easily guessed words, as do the product's name.
    """
    if len(password) < 8:
        return "密码至少 8 位"
    kinds = sum(
        any(test(ch) for ch in password)
        for test in (str.isdigit, str.islower, str.isupper, lambda c: not c.isalnum())
    )
    if kinds < 3:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类"
    # zxcvbn knows the 30,000 most common passwords and their usual decorations
    # ("Password1!", "Qwerty123!"): such a password passes the rules above but is
    # among the first an attacker tries.
    words = [word for word in (*PRODUCT_WORDS, *user_inputs) if word]
    if zxcvbn(password[:100], user_inputs=words)["score"] < 3:
        return "密码过于常见或容易猜到，请换一个"
    return None


def _invalid_credentials():
    return ApiError("用户名或密码错误", status=401, code="invalid_credentials")


def _too_many_attempts(wait):
    minutes = max(1, math.ceil(wait / 60))
    return ApiError(f"密码错误次数过多，请 {minutes} 分钟后再试", status=429,
                    code="too_many_attempts", headers={"Retry-After": str(wait)})


def client_address():
    return (request.remote_addr or "127.0.0.1") if has_request_context() else "local"


def check_login(username, password):
    """Check a password: (the id of the account of that name or None, whether it matches).

    Wrong passwords slow down the address that types them, for that account name
    (server/users/throttle.py): never the real user elsewhere, never a device already
    signed in. The answer does not depend on whether the name exists: an unknown
    name is hashed and counted like a wrong password, and a refused attempt is a 429
    for both before any password is checked.

    The password is checked in a transaction that only reads, which the caller starts
    (a commit before) and ends (a commit after, then :func:`sign_in`): argon2 takes a
    good tenth of a second, and on SQLite a writing transaction would hold the
    database's write lock all that time, so a burst of logins would queue past the
    busy timeout.
    """
    wait = throttle().login_attempt(username, client_address())
    if wait is not None:
        found = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        if found is not None:
            raise audit_despite_rollback(_too_many_attempts(wait), "login_refused", user=found,
                                         changes={"reason": "too_many_attempts"})
        raise audit_despite_rollback(_too_many_attempts(wait), "login_refused",
                                     username=username[:40],
                                     changes={"reason": "too_many_attempts", "user": "unknown"})
    db.session.connection(execution_options={"lianxin_read_only": True})
    found = db.session.execute(select(User.id, User.password_hash).where(
        func.lower(User.username) == username.lower())).first()
    if found is None:
        _hasher.hash(password)  # hash anyway: response time does not tell which names exist
        return None, False
    return found.id, password_matches(found, password)


def sign_in(username, checked):
    """The user of a password :func:`check_login` found right (``checked``); a wrong
    password (401) or a disabled account (403) is refused, and the refusal's audit rows
    outlive the rollback."""
    user_id, matches = checked
    address = client_address()
    user = db.session.get(User, user_id) if user_id is not None else None
    if not matches:
        error = _invalid_credentials()
        failures = throttle().login_failed(username, address)
        if user is None:
            raise audit_despite_rollback(error, "login_failed", username=username[:40],
                                         changes={"reason": "unknown_user", "failures": failures})
        audit_despite_rollback(error, "login_failed", user=user, changes={"failures": failures})
        if failures >= current_app.config["LIANXIN_LOCKOUT_ATTEMPTS"]:
            audit_despite_rollback(error, "login_throttled", user=user, changes={
                "minutes": current_app.config["LIANXIN_LOCKOUT_MINUTES"]})
        raise error
    throttle().login_succeeded(username, address)
    if not user.active:
        raise audit_despite_rollback(
            ApiError("账号已停用，请联系县民政局", status=403, code="account_disabled"),
            "login_refused", user=user, changes={"reason": "disabled"})
    audit("login", user=user)
    return user


def _new_tokens(user, session_id):
    """A new (access, refresh, refresh jti) of a login session."""
    jti = uuid.uuid4().hex
    refresh = create_refresh_token(
        identity=str(user.id), additional_claims={"sid": str(session_id), "jti": jti}
    )
    access = create_access_token(identity=str(user.id), additional_claims={"sid": str(session_id)})
    return access, refresh, jti


def _issue_tokens(user, session):
    access, refresh, session.refresh_jti = _new_tokens(user, session.id)
    session.expires_at = utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    return access, refresh


def start_session(user):
    now = utcnow()
    session = LoginSession(
        user_id=user.id,
        refresh_jti="",
        created_at=now,
        last_seen_at=now,
        expires_at=now,
        user_agent=(request.headers.get("User-Agent") or "")[:200] if has_request_context() else None,
    )
    db.session.add(session)
    db.session.flush()
    return _issue_tokens(user, session)


# --- idle timeout (MLPS: a session ends after a while without activity) -----------------------

# Liaisons are exempt: their phones work offline for days and sync in the background;
# their refresh token (30 days, rotated) is what ends an unused phone's session.
IDLE_EXEMPT_ROLES = frozenset({"liaison"})
# last_seen_at is written at most this often per session, not on every request.
LAST_SEEN_STEP = timedelta(seconds=60)


def idle_limit():
    """How long a staff session may go without a request; None when switched off (0)."""
    minutes = current_app.config.get("LIANXIN_STAFF_IDLE_MINUTES", 30)
    return timedelta(minutes=minutes) if minutes and minutes > 0 else None


# The user's region (joined by default, with its parent) is left to load when used:
# most requests only need region_id. Built once, with the session id bound per request:
# SQLAlchemy keeps a statement's cache key, which a new ``where`` would make again.
_SESSION_AND_USER = select(LoginSession, User).join(
    User, User.id == LoginSession.user_id).options(lazyload(User.region)).where(
    LoginSession.id == bindparam("session_id"))


class SessionCheck(NamedTuple):
    """What :func:`check_session` found of a request's login session."""

    state: str  # "active", "revoked", or to be written (:func:`note_activity`): "idle", "seen"
    user: User | None
    session_id: uuid.UUID | None = None
    at: datetime | None = None


def check_session(claims):
    """The login session of a request's token: its :class:`SessionCheck`.

    Called for every access and refresh token. A staff session whose last request
    is older than the idle limit is "idle": :func:`note_activity` ends it (audited once)
    and its refresh token is refused from then on. An active one whose
    ``last_seen_at`` is older than ``LAST_SEEN_STEP`` is "seen": :func:`note_activity`
    moves it to now. Both are written in a transaction of their own that starts with the
    write (the caller commits before and after): on SQLite a GET's deferred transaction
    that has already read may not turn into a writer.
    """
    # The session and its user in one query (the user loader takes the user from here).
    session, user = db.session.execute(
        _SESSION_AND_USER, {"session_id": uuid.UUID(claims["sid"])}).first() or (None, None)
    now = utcnow()
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return SessionCheck("revoked", None)
    limit = idle_limit()
    if user is None or user.role in IDLE_EXEMPT_ROLES or limit is None:
        return SessionCheck("active", user)
    idle = now - session.last_seen_at > limit
    if not idle and now - session.last_seen_at < LAST_SEEN_STEP:
        return SessionCheck("active", user)
    return SessionCheck("idle" if idle else "seen", user, session.id, now)


def note_activity(check):
    """Write what :func:`check_session` found ("idle" or "seen"); the state that follows
    ("idle" or "active"). The conditions are checked again in the UPDATE, so two requests
    at once agree."""
    still_open = (LoginSession.id == check.session_id) & LoginSession.revoked_at.is_(None)
    if check.state == "idle":
        limit = idle_limit()
        ended = db.session.execute(
            update(LoginSession)
            .where(still_open, LoginSession.last_seen_at < check.at - limit)
            .values(revoked_at=check.at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if ended:
            audit("idle_logout", user=check.user, entity="login_session",
                  record_id=check.session_id,
                  changes={"idle_minutes": int(limit.total_seconds() // 60)})
        return check._replace(state="idle")
    db.session.execute(
        update(LoginSession)
        .where(still_open, LoginSession.last_seen_at <= check.at - LAST_SEEN_STEP)
        .values(last_seen_at=check.at)
        .execution_options(synchronize_session=False)
    )
    return check._replace(state="active")


class RefreshReused(ApiError):
    """A refresh token presented again: a 401, and its session has ended, which the
    caller commits although the request fails."""

    def __init__(self):
        super().__init__("登录已失效，请重新登录", status=401, code="token_revoked")


def rotate_refresh(user, claims):
    """Exchange a refresh token for a new pair; an already-used one ends the session.

    The exchange is one compare-and-swap: the session's refresh jti moves from the
    presented one to the new one in a single UPDATE that names the old one, so of
    two requests sending the same token at once exactly one gets a new pair; the
    other presented a token that is no longer the newest, which is a reuse: the session
    ends, and the :class:`RefreshReused` raised says the caller must commit that (the
    exchange is best in a transaction of its own that starts with the write, as in
    :func:`check_session`: the caller commits before, too).
    """
    session_id = uuid.UUID(claims["sid"])
    now = utcnow()
    access, refresh, jti = _new_tokens(user, session_id)
    swapped = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.refresh_jti == claims["jti"],
               LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)
        .values(refresh_jti=jti, last_seen_at=now,
                expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])
        .execution_options(synchronize_session=False)
    ).rowcount
    if swapped == 1:
        return access, refresh
    ended = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None),
               LoginSession.refresh_jti != claims["jti"])
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        audit("refresh_reuse", user=user, record_id=session_id)
    raise RefreshReused()


FRESH_MINUTES = 5


def confirm_password(user, claims, password, field="password"):
    """A signed-in user types their password again (before reading full ID numbers,
    before changing it).

    A wrong password is answered as a field error (422, on ``field``), so the app
    does not take it for an expired login. Five wrong ones slow down this login
    session alone (429 with ``Retry-After``): not the user's other devices, not a
    new login.
    """
    session_id = claims["sid"]
    wait = throttle().reauth_attempt(session_id)
    if wait is not None:
        raise audit_despite_rollback(_too_many_attempts(wait), "reauth_refused", user=user,
                                     changes={"reason": "too_many_attempts"})
    if not password_matches(user, password):
        raise audit_despite_rollback(ValidationFailed({field: ["密码不正确"]}),
                                     "reauth_failed", user=user)
    throttle().reauth_succeeded(session_id)
    audit("reauthenticate", user=user)


def change_own_password(user, claims, current, new):
    """A signed-in user changes their password: the current one first (as
    :func:`confirm_password`: wrong ones slow this session down), the new one by
    the same rules as any password. Every other login of theirs ends (the old password
    may be known to someone else); this one goes on."""
    confirm_password(user, claims, current, field="current_password")
    problem = ("新密码不能与原密码相同" if new == current
               else password_problem(new, guessable_words(user.username, user.display_name)))
    if problem:
        raise ValidationFailed({"new_password": [problem]})
    user.password_hash = hash_password(new)
    user.updated_at = utcnow()
    ended = end_all_sessions(user, keep=uuid.UUID(claims["sid"]))
    audit("password_change", user=user, entity="user_account", record_id=user.id,
          changes={"password": ["***", "***"], "other_sessions_ended": ended})


def fresh_access_token(user, claims):
    """A short-lived access token marked fresh, of the same login session."""
    return create_access_token(
        identity=str(user.id), fresh=True, expires_delta=timedelta(minutes=FRESH_MINUTES),
        additional_claims={"sid": claims["sid"]},
    )


def end_session(user, claims):
    session = db.session.get(LoginSession, uuid.UUID(claims["sid"]))
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
    audit("logout", user=user, entity="login_session", record_id=claims["sid"])


def end_all_sessions(user, keep=None):
    """Revoke every open login session of a user (after their password was changed),
    but the one with id ``keep``; returns how many were ended."""
    statement = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(LoginSession.id != keep)
    return db.session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount


# --- user management (admins) ------------------------------------------------------------


def list_statement(filters, actor):
    """The users, by username, narrowed by the filters; ``q`` matches a username or a
    display name. Admins only."""
    scope.require_role(actor, "admin")
    statement = select(User).order_by(User.username)
    for name in ("role", "region_id", "active"):
        if name in filters:
            statement = statement.where(getattr(User, name) == filters[name])
    if filters.get("q"):
        pattern = f"%{filters['q'].lower()}%"
        statement = statement.where(
            func.lower(User.username).like(pattern) | User.display_name.like(pattern)
        )
    return statement


def get_user(user_id, actor):
    """A user account, as an admin reads it."""
    scope.require_role(actor, "admin")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def add_user(values, actor):
    """An admin adds a user (``create_user`` with the admin's check; the CLI and the demo
    seed, which have no signed-in user, call ``create_user`` itself)."""
    scope.require_role(actor, "admin")
    return create_user(**values, actor=actor)


def change_user(user_id, values, actor):
    """An admin changes a user (see :func:`update_user`)."""
    return update_user(get_user(user_id, actor), values, actor)


def validate_assignment(role, region_id):
    """A role belongs to a region of one level: liaison -> village, and so on."""
    region = db.session.get(Region, region_id) if region_id else None
    if region is None or region.deleted_at is not None:
        raise ValidationFailed({"region": ["地区不存在"]})
    if region.level != ROLE_REGION_LEVEL[role]:
        level = REGION_LEVELS[ROLE_REGION_LEVEL[role]]
        raise ValidationFailed({"region": [f"该角色须分配到{level}"]})
    return region


def create_user(*, username, password, role, region_id, display_name=None, phone=None, actor=None):
    # every field's problem at once, so the form marks them all in one go
    errors = {}
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = ["用户名已存在"]
    problem = None if password is None else password_problem(
        password, guessable_words(username, display_name))
    if problem:
        errors["password"] = [problem]
    try:
        validate_assignment(role, region_id)
    except ValidationFailed as refused:
        errors.update(refused.errors)
    if errors:
        raise ValidationFailed(errors)
    user = User(
        username=username,
        display_name=display_name or username,
        phone=phone,
        password_hash=hash_password(password) if password is not None else unusable_password(),
        role=role,
        region_id=region_id,
    )
    db.session.add(user)
    db.session.flush()
    audit("create", user=actor, entity="user_account", record_id=user.id,
          changes={"username": username, "role": role, "region_id": str(region_id)})
    return user


def update_user(user, values, actor):
    """Change role, region, name, phone or active flag; takes effect on the next request."""
    role = values.get("role", user.role)
    region_id = values.get("region_id", user.region_id)
    if "role" in values or "region_id" in values:
        validate_assignment(role, region_id)
    diff = {}
    for field in ("display_name", "phone", "role", "region_id", "active"):
        if field in values and getattr(user, field) != values[field]:
            diff[field] = [str(getattr(user, field)), str(values[field])]
            setattr(user, field, values[field])
    if "password" in values:
        problem = password_problem(values["password"],
                                   guessable_words(user.username, user.display_name))
        if problem:
            raise ValidationFailed({"password": [problem]})
        user.password_hash = hash_password(values["password"])
        diff["password"] = ["***", "***"]
        # A password is changed when it may be known to someone else: every login
        # made with the old one ends (ASVS 3.3.3); the phone's outbox waits for the
        # next login.
        end_all_sessions(user)
    if diff:
        user.updated_at = utcnow()
        db.session.flush()
        audit("update", user=actor, entity="user_account", record_id=user.id, changes=diff)
    return user
