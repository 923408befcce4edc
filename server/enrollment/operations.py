"""Enrollment slips: issuing (printing), revoking, and signing a phone in with one.

- **Printing is issuing.** A code cannot be read back (only its keyed hash is kept), so
  every print of a liaison's slip makes a new code, and the liaison's earlier unused
  slips stop working. A township officer prints for the liaisons of their township;
  county officers and admins for any. ``sign_out_old_phone`` also ends every login
  session of the liaison (a lost phone: whoever holds it is signed out).
- **Using a slip** (``POST /auth/enroll``) is a login: a new login session, as a
  password login makes. The first phone that uses it (its sync client id) owns it: the
  same code from another phone is refused and audited, so a slip photographed after
  use signs nobody in. The owning phone may use it again until it expires (an answer
  lost on a weak signal, then retried).
- Slips expire after ``LIANXIN_ENROLL_DAYS`` days and can be revoked. Every issue,
  use, refused use and revocation is audited; a code never is.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import scope
from ..common.timeutil import county_zone, utcnow
from ..contacts.printing import issuer_name, public_url_problem
from ..errors import ApiError, NotFound, ValidationFailed
from ..extensions import db
from ..records.audit import audit, audit_despite_rollback, audit_many
from ..regions.models import Region, full_name
from ..users.models import User
from ..users.operations import client_address, end_all_sessions
from ..users.throttle import throttle
from .codes import code_hash, enroll_url, looks_like_code, new_code
from .models import EnrollmentSlip
from .slips_pdf import PrintedSlip, render_slips

MAX_SLIPS = 2000  # ~250 pages; a larger run is printed township by township
NO_LIAISONS = "没有可打印登录单的联络员"
NO_LIAISON = "联络员不存在或不在您的管辖范围内"
AGAIN = "请找乡镇民政办重新打印登录单。"
REFUSALS = {
    "unknown": (401, "登录单无效。" + AGAIN),
    "revoked": (401, "这张登录单已作废。" + AGAIN),
    "used_elsewhere": (401, "这张登录单已在另一部手机上用过，不能再用。" + AGAIN),
    "expired": (401, "这张登录单已过期。" + AGAIN),
    "disabled": (403, "账号已停用，请联系乡镇民政办。"),
}


def enroll_days():
    return current_app.config.get("LIANXIN_ENROLL_DAYS", 7)


# --- who a request names ------------------------------------------------------------------


def _liaisons_statement(actor):
    statement = (select(User).join(Region, Region.id == User.region_id)
                 .where(User.role == "liaison", User.active.is_(True),
                        Region.deleted_at.is_(None)))
    villages = scope.village_ids(actor)
    if villages is not None:
        statement = statement.where(User.region_id.in_(villages))
    return statement


def _narrowed(statement, selection, actor):
    if selection.get("village_id"):
        village = scope.require_village(selection["village_id"], actor)
        return statement.where(User.region_id == village.id), village.name
    if selection.get("township_id"):
        township = scope.require_township(selection["township_id"], actor)
        return statement.where(Region.parent_id == township.id), township.name
    return statement, None


def _latest_slips(user_ids):
    """{user id: their newest slip}."""
    latest = {}
    if not user_ids:
        return latest
    for slip in db.session.scalars(select(EnrollmentSlip).where(
            EnrollmentSlip.user_id.in_(user_ids)).order_by(EnrollmentSlip.issued_at)):
        latest[slip.user_id] = slip
    return latest


def list_enrollments(filters, actor):
    """The active liaisons the user serves, each with their newest slip (or none), by
    village code."""
    scope.require_staff(actor)
    statement, _label = _narrowed(_liaisons_statement(actor), filters, actor)
    liaisons = db.session.scalars(statement.order_by(Region.code, User.id)).all()
    latest = _latest_slips([liaison.id for liaison in liaisons])
    now = utcnow()
    items = []
    for liaison in liaisons:
        village = liaison.region
        slip = latest.get(liaison.id)
        items.append({
            "user": liaison,
            "village": {"id": village.id, "name": village.name,
                        "township_name": village.parent.name if village.parent else None},
            "slip": None if slip is None else {
                "id": slip.id, "issued_at": slip.issued_at, "expires_at": slip.expires_at,
                "used_at": slip.used_at, "revoked_at": slip.revoked_at,
                "state": slip.state(now)},
        })
    return {"items": items}


def liaisons_to_print(selection, actor):
    """The liaisons a print request names, by village code, and a name for the file."""
    scope.require_staff(actor)
    statement = _liaisons_statement(actor)
    label = None
    if selection.get("user_ids"):
        wanted = set(selection["user_ids"])
        liaisons = db.session.scalars(statement.where(User.id.in_(wanted))
                                      .order_by(Region.code, User.id)).all()
        # unknown, disabled and out-of-scope ids alike: a print cannot probe for accounts
        if len(liaisons) != len(wanted):
            raise ValidationFailed({"user_ids": [NO_LIAISON]})
        label = liaisons[0].display_name if len(liaisons) == 1 else None
    else:
        statement, label = _narrowed(statement, selection, actor)
        liaisons = db.session.scalars(statement.order_by(Region.code, User.id)
                                      .limit(MAX_SLIPS + 1)).all()
        if len(liaisons) > MAX_SLIPS:
            raise ValidationFailed({"township_id": [
                f"一次最多打印 {MAX_SLIPS} 张，请按乡镇分批打印"]})
    if selection.get("only_without_slip"):
        latest, now = _latest_slips([liaison.id for liaison in liaisons]), utcnow()
        liaisons = [liaison for liaison in liaisons if latest.get(liaison.id) is None
                    or latest[liaison.id].state(now) not in ("valid", "used")]
    return liaisons, label or "联络员"


# --- issuing ---------------------------------------------------------------------------------


@dataclass
class Issued:
    liaison: User
    slip: EnrollmentSlip
    code: str


def issue_slips(liaisons, actor, *, sign_out_old_phone=False):
    """A new slip (and code) for each liaison; their earlier unused slips are revoked."""
    now = utcnow()
    ids = [liaison.id for liaison in liaisons]
    revoked = {}
    for slip in db.session.scalars(select(EnrollmentSlip).where(
            EnrollmentSlip.user_id.in_(ids), EnrollmentSlip.used_at.is_(None),
            EnrollmentSlip.revoked_at.is_(None))):
        slip.revoked_at, slip.revoked_by_id = now, actor.id
        revoked[slip.user_id] = revoked.get(slip.user_id, 0) + 1
    issued = []
    expires = now + timedelta(days=enroll_days())
    for liaison in liaisons:
        code = new_code()
        slip = EnrollmentSlip(user_id=liaison.id, code_hash=code_hash(code), issued_at=now,
                              issued_by_id=actor.id, expires_at=expires)
        db.session.add(slip)
        issued.append(Issued(liaison, slip, code))
    db.session.flush()
    entries = []
    for item in issued:
        changes = {"liaison": item.liaison.username, "expires_at": expires.isoformat(),
                   "revoked_previous": revoked.get(item.liaison.id, 0)}
        if sign_out_old_phone:
            changes["sessions_ended"] = end_all_sessions(item.liaison)
        entries.append(("issue_enrollment", "enrollment_slip", item.slip.id, changes))
    audit_many(entries, user=actor)
    return issued


def print_slips(selection, actor):
    """``(pdf bytes, file label, number of slips)``: every printed slip is newly issued."""
    problem = public_url_problem()
    if problem:
        raise ApiError(problem, status=409, code="public_url_not_set")
    liaisons, label = liaisons_to_print(selection, actor)
    if not liaisons:
        field = next((name for name in ("user_ids", "village_id", "township_id")
                      if selection.get(name)), "township_id")
        raise ValidationFailed({field: [NO_LIAISONS]})
    issued = issue_slips(liaisons, actor,
                         sign_out_old_phone=bool(selection.get("sign_out_old_phone")))
    zone = county_zone()
    pdf = render_slips([
        PrintedSlip(name=item.liaison.display_name, village=full_name(item.liaison.region),
                    username=item.liaison.username, url=enroll_url(item.code),
                    valid_until=item.slip.expires_at.astimezone(zone).date())
        for item in issued
    ], issuer=issuer_name())
    return pdf, label, len(issued)


def revoke(slip_id, actor):
    """Revoke a slip of a liaison the user serves (404 otherwise); a revoked slip stays so."""
    scope.require_staff(actor)
    slip = db.session.get(EnrollmentSlip, slip_id)
    if slip is None or not scope.in_scope(slip.user.region_id, actor):
        raise NotFound("登录单不存在")
    if slip.revoked_at is None:
        slip.revoked_at, slip.revoked_by_id = utcnow(), actor.id
        db.session.flush()
        audit("revoke_enrollment", user=actor, entity="enrollment_slip", record_id=slip.id,
              changes={"liaison": slip.user.username, "was_used": slip.used_at is not None})
    return slip


# --- using a slip ----------------------------------------------------------------------------


def _refused(reason, slip, client_id):
    status, message = REFUSALS[reason]
    code = "account_disabled" if reason == "disabled" else f"enroll_{reason}"
    error = ApiError(message, status=status, code=code)
    details = {"reason": reason, "client_id": client_id}
    if slip is None:
        return audit_despite_rollback(error, "enroll_refused", changes=details)
    return audit_despite_rollback(error, "enroll_refused", user=slip.user,
                                  entity="enrollment_slip", record_id=slip.id, changes=details)


def _refusal(slip, client_id, now):
    if slip is None:
        return "unknown"
    if slip.revoked_at is not None:
        return "revoked"
    if slip.used_at is not None and slip.used_client_id != client_id:
        return "used_elsewhere"
    if now >= slip.expires_at:
        return "expired"
    if not slip.user.active or slip.user.role != "liaison":
        return "disabled"
    return None


def enroll(code, client_id):
    """The liaison whose slip ``code`` is, used by the phone ``client_id``; refusals are
    401 (403 for a disabled account) with a code the app tells apart, and audited."""
    address = client_address()
    wait = throttle().enroll_attempt(address)
    if wait is not None:
        minutes = max(1, -(-wait // 60))
        raise audit_despite_rollback(
            ApiError(f"尝试次数过多，请 {minutes} 分钟后再试", status=429,
                     code="too_many_attempts", headers={"Retry-After": str(wait)}),
            "enroll_refused", changes={"reason": "too_many_attempts"})
    slip = None
    if looks_like_code(code):
        slip = db.session.scalar(select(EnrollmentSlip).where(
            EnrollmentSlip.code_hash == code_hash(code)))
    now = utcnow()
    reason = _refusal(slip, client_id, now)
    if reason is None and slip.used_at is None:
        # the first use binds the slip to this phone: one UPDATE, so two phones that
        # send the same code at once cannot both become its owner
        bound = db.session.execute(
            update(EnrollmentSlip).where(EnrollmentSlip.id == slip.id,
                                         EnrollmentSlip.used_at.is_(None))
            .values(used_at=now, used_client_id=client_id)
            .execution_options(synchronize_session=False)).rowcount
        db.session.refresh(slip)
        if not bound:
            reason = _refusal(slip, client_id, now)
        first = bool(bound)
    else:
        first = False
    if reason is not None:
        throttle().enroll_failed(address)
        raise _refused(reason, slip, client_id)
    audit("enroll", user=slip.user, entity="enrollment_slip", record_id=slip.id,
          changes={"client_id": client_id, "first_use": first})
    return slip.user
