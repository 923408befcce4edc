"""Publishing, revising and withdrawing the county's policies; their PDFs; their history.

County officers and admins write; every signed-in user reads (the library is public
anyway, at /f/policies). Each write goes through versioning (version +1, change log,
audit row), so phones get a revised policy and drop a withdrawn one. A revision
keeps what its author wrote; the policy holds what it renders to. Operations flush;
the request commits.
"""

import hashlib
import io

from flask import current_app
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy import and_, func, or_, select

from .. import scope
from ..common.choices import POLICY_CATEGORIES
from ..common.paging import paginate
from ..common.pinyin import name_initials
from ..common.timeutil import county_today, utcnow
from ..errors import ApiError, Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..records.audit import audit
from ..records.models import AuditEntry
from ..records.versioning import create_record, delete_record, update_record
from ..users.models import User
from .models import Policy, PolicyDocument, PolicyRevision
from .rendering import render

EDITORS = ("county_officer", "admin")
NOT_FOUND = "政策不存在"
WITHDRAWN = "该政策已撤回，不能再修改"
NOT_A_PDF = "不是有效的 PDF 文件"
PDF_TOO_LARGE = "PDF 文件不能超过 {} MB"
NO_FILE = "请选择 PDF 文件"
NO_PDF = "该政策没有 PDF 文件"

# Fields of a revision, and what each becomes on the policy phones read.
REVISED = ("title", "category", "summary", "body", "effective_on")

ACTIONS = {
    "create": "发布",
    "update": "修订",
    "withdraw": "撤回",
    "delete": "撤回",
    "attach_pdf": "上传 PDF",
    "remove_pdf": "删除 PDF",
}


def _published(values):
    """The policy's columns for a revision's ``values``."""
    return {
        "title": values["title"],
        "title_initials": name_initials(values["title"]),
        "category": values["category"],
        "summary": values["summary"],
        "body_html": render(values["body"]),
        "effective_on": values["effective_on"],
    }


def _revision(policy, values, actor, now):
    revision = PolicyRevision(policy_id=policy.id, version=policy.version, published_at=now,
                              published_by_id=actor.id,
                              **{name: values[name] for name in REVISED})
    db.session.add(revision)
    return revision


def publish(values, actor):
    """A new policy from ``values`` (PolicyWriteSchema)."""
    scope.require_role(actor, *EDITORS)
    now = utcnow()
    policy = Policy(published_at=now, has_pdf=False, **_published(values))
    create_record(policy, actor)
    _revision(policy, values, actor, now)
    db.session.flush()
    return policy


def latest(policy):
    return db.session.scalars(
        select(PolicyRevision).where(PolicyRevision.policy_id == policy.id)
        .order_by(PolicyRevision.version.desc()).limit(1)).one()


def revise(policy, changes, actor):
    """A new version with ``changes`` (PolicyChangeSchema); nothing when nothing differs."""
    scope.require_role(actor, *EDITORS)
    if policy.deleted_at is not None:
        raise Conflict(WITHDRAWN, code="policy_withdrawn")
    current = latest(policy)
    values = {name: changes.get(name, getattr(current, name)) for name in REVISED}
    if all(values[name] == getattr(current, name) for name in REVISED):
        return []
    now = utcnow()
    changed = update_record(policy, {**_published(values), "published_at": now}, actor)
    _revision(policy, values, actor, now)
    db.session.flush()
    return changed


def withdraw(policy, actor):
    """Withdrawn from today: off the public library and off every phone (a visit that
    recorded explaining it keeps its title)."""
    scope.require_role(actor, *EDITORS)
    if policy.deleted_at is not None:
        return
    update_record(policy, {"withdrawn_on": county_today()}, actor, action="withdraw")
    delete_record(policy, actor)


def attach_pdf(policy, upload, actor):
    """The policy's PDF from a file upload, checked: size, and that it is a PDF."""
    scope.require_role(actor, *EDITORS)
    if policy.deleted_at is not None:
        raise Conflict(WITHDRAWN, code="policy_withdrawn")
    if upload is None:
        raise ValidationFailed({"file": [NO_FILE]})
    limit = current_app.config["LIANXIN_POLICY_PDF_MAX_BYTES"]
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ApiError(PDF_TOO_LARGE.format(limit // (1 << 20)), status=413,
                       code="pdf_too_large",
                       errors={"file": [PDF_TOO_LARGE.format(limit // (1 << 20))]})
    _require_pdf(content)
    document = db.session.get(PolicyDocument, policy.id) or PolicyDocument(policy_id=policy.id)
    document.content = content
    document.size = len(content)
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.file_name = (getattr(upload, "filename", None) or "")[:120] or None
    document.uploaded_at = utcnow()
    document.uploaded_by_id = actor.id
    db.session.add(document)
    if policy.has_pdf:  # a replaced file: phones hold nothing of it, only the audit knows
        audit("attach_pdf", user=actor, entity=Policy.__tablename__, record_id=policy.id,
              changes={"sha256": document.sha256, "size": document.size})
    else:
        update_record(policy, {"has_pdf": True}, actor, action="attach_pdf")
    db.session.flush()


def _require_pdf(content):
    if not content.startswith(b"%PDF-"):
        raise ValidationFailed({"file": [NOT_A_PDF]})
    try:
        reader = PdfReader(io.BytesIO(content))
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise ValidationFailed({"file": [NOT_A_PDF]}) from None
    if pages < 1:
        raise ValidationFailed({"file": [NOT_A_PDF]})


def remove_pdf(policy, actor):
    scope.require_role(actor, *EDITORS)
    document = db.session.get(PolicyDocument, policy.id)
    if document is None:
        raise NotFound(NO_PDF)
    db.session.delete(document)
    update_record(policy, {"has_pdf": False}, actor, action="remove_pdf")
    db.session.flush()


# --- policies explained (on a visit, at a village meeting) ------------------------------------

UNKNOWN_POLICY = "政策库中没有这条政策"
TWICE = "同一条政策只能选一次"


def titles_of(policy_ids):
    """{policy id: the titles its versions had, oldest first} of ``policy_ids`` (a batch of
    visits asks once)."""
    titles = {}
    if policy_ids:
        for policy_id, title in db.session.execute(
                select(PolicyRevision.policy_id, PolicyRevision.title)
                .where(PolicyRevision.policy_id.in_(set(policy_ids)))
                .order_by(PolicyRevision.version)):
            titles.setdefault(policy_id, []).append(title)
    return titles


def explained(items, field="policies_explained", titles=None):
    """The policies a visit or a meeting explained, as kept: ``[{"id", "title"}]`` in the
    order picked. Each must be in the library (a withdrawn one too: a phone may have
    picked it offline before it heard); its title stays the one the liaison saw when
    that was a title the policy had, else it is the policy's latest. ``titles``: what
    :func:`titles_of` read for these (and more) policies."""
    if not items:
        return []
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise ValidationFailed({field: [TWICE]})
    if titles is None:
        titles = titles_of(ids)
    if any(policy_id not in titles for policy_id in ids):
        raise ValidationFailed({field: [UNKNOWN_POLICY]})
    return [{"id": str(item["id"]),
             "title": item["title"] if item["title"] in titles[item["id"]]
             else titles[item["id"]][-1]}
            for item in items]


# --- reading ----------------------------------------------------------------------------------


def get(policy_id, *, include_withdrawn=True):
    policy = db.session.get(Policy, policy_id)
    if policy is None or (policy.deleted_at is not None and not include_withdrawn):
        raise NotFound(NOT_FOUND)
    return policy


def read(policy_id, actor):
    """A policy (a withdrawn one too) for the staff screens."""
    scope.require_staff(actor)
    return staff_view(get(policy_id))


def preview(body, actor):
    """The HTML ``body`` would be shown as; nothing is saved."""
    scope.require_role(actor, *EDITORS)
    return {"body_html": render(body)}


def staff_view(policy, body=None):
    """The policy with its latest Markdown (``body`` when already read), for the staff
    screens."""
    policy.body = latest(policy).body if body is None else body
    return policy


def _latest_bodies(policies):
    """{policy id: the Markdown of its latest version} of ``policies``, in one query."""
    ids = [policy.id for policy in policies]
    if not ids:
        return {}
    newest = (select(PolicyRevision.policy_id, func.max(PolicyRevision.version).label("version"))
              .where(PolicyRevision.policy_id.in_(ids))
              .group_by(PolicyRevision.policy_id).subquery())
    return dict(db.session.execute(
        select(PolicyRevision.policy_id, PolicyRevision.body).join(newest, and_(
            PolicyRevision.policy_id == newest.c.policy_id,
            PolicyRevision.version == newest.c.version))).all())


def page(filters, actor):
    """The library for staff: current ones, or the withdrawn ones; ``q`` matches the title
    or its pinyin initials."""
    scope.require_staff(actor)
    statement = select(Policy)
    if filters.get("withdrawn"):
        statement = statement.where(Policy.deleted_at.is_not(None))
    else:
        statement = statement.where(Policy.deleted_at.is_(None))
    if filters.get("category"):
        statement = statement.where(Policy.category == filters["category"])
    if filters.get("q") and filters["q"].strip():
        statement = _matching(statement, filters["q"])
    result = paginate(statement.order_by(Policy.published_at.desc(), Policy.id),
                      filters["page"], filters["per_page"])
    bodies = _latest_bodies(result["items"])
    for policy in result["items"]:
        staff_view(policy, bodies[policy.id])
    return result


def _matching(statement, q):
    q = q.strip()
    return statement.where(or_(Policy.title.contains(q, autoescape=True),
                               Policy.title_initials.startswith(q.lower(), autoescape=True)))


def current_library(category=None, q=None):
    """What the public reads: every policy not withdrawn, by category then newest."""
    order = {code: number for number, code in enumerate(POLICY_CATEGORIES)}
    statement = select(Policy).where(Policy.deleted_at.is_(None))
    if category:
        statement = statement.where(Policy.category == category)
    if q and q.strip():
        statement = _matching(statement, q)
    policies = db.session.scalars(statement.order_by(Policy.published_at.desc())).all()
    return sorted(policies, key=lambda policy: order.get(policy.category, len(order)))


def document(policy_id):
    """The PDF of a current policy, or NotFound."""
    policy = get(policy_id, include_withdrawn=False)
    found = db.session.get(PolicyDocument, policy.id)
    if found is None:
        raise NotFound(NO_PDF)
    return found


def history(policy, actor):
    """What was published when and by whom: each revision with what it changed, and the
    PDF and withdrawal events, oldest first."""
    scope.require_staff(actor)
    revisions = db.session.scalars(select(PolicyRevision)
                                   .where(PolicyRevision.policy_id == policy.id)
                                   .order_by(PolicyRevision.version)).all()
    names = _names({r.published_by_id for r in revisions})
    events, previous = [], None
    for revision in revisions:
        changes = {name: _plain(getattr(revision, name)) for name in REVISED
                   if previous is None or getattr(previous, name) != getattr(revision, name)}
        action = "create" if previous is None else "update"
        events.append({"version": revision.version, "at": revision.published_at,
                       "action": action, "action_label": ACTIONS[action],
                       "by": names.get(revision.published_by_id), "changes": changes})
        previous = revision
    others = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == Policy.__tablename__, AuditEntry.record_id == str(policy.id),
        AuditEntry.action.in_(("withdraw", "attach_pdf", "remove_pdf")))
        .order_by(AuditEntry.id)).all()
    names.update(_names({entry.user_id for entry in others} - names.keys()))
    for entry in others:
        events.append({"version": None, "at": entry.at, "action": entry.action,
                       "action_label": ACTIONS[entry.action],
                       "by": names.get(entry.user_id, entry.username), "changes": None})
    return sorted(events, key=lambda event: event["at"])


def _names(user_ids):
    user_ids = {uid for uid in user_ids if uid is not None}
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
