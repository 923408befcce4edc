"""The review queue and bulk approval. Every decision goes through
``visits.operations.review_visit``, so each is versioned, audited and pulled by phones."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.timeutil import month_bounds
from ..extensions import db
from ..mediation.models import MediationCase
from ..records.models import AuditEntry
from ..regions.models import Region
from ..users.models import User
from ..visits.models import Visit
from ..visits.operations import review_visit
from ..visits.photos import shown_through

Village = aliased(Region, name="village")
Township = aliased(Region, name="township")
Liaison = aliased(User, name="liaison")
HISTORY_ACTIONS = ("create", "update", "review", "delete")


def _check_area(filters, actor):
    """A filter naming another area is refused like a write naming one (422 on the field)."""
    if filters.get("township_id"):
        scope.require_township(filters["township_id"], actor)
    if filters.get("village_id"):
        scope.require_village(filters["village_id"], actor)


def queue_statement(filters, actor):
    scope.require_staff(actor)
    _check_area(filters, actor)
    statement = (
        select(
            Visit, Beneficiary.name.label("beneficiary_name"), Village.name.label("village_name"),
            Township.name.label("township_name"), Liaison.display_name.label("liaison_name"),
        )
        .join(Beneficiary, Beneficiary.id == Visit.beneficiary_id)
        .join(Village, Village.id == Visit.village_id)
        .join(Township, Township.id == Village.parent_id)
        .join(Liaison, Liaison.id == Visit.liaison_id)
    )
    statement = scope.visible(statement, Visit, actor)
    for name in ("village_id", "visit_type", "review_status"):
        if filters.get(name):
            statement = statement.where(getattr(Visit, name) == filters[name])
    if filters.get("township_id"):
        statement = statement.where(Village.parent_id == filters["township_id"])
    if filters.get("month"):
        first, following = month_bounds(filters["month"])
        statement = statement.where(Visit.visited_on >= first, Visit.visited_on < following)
    if filters.get("q"):
        statement = statement.where(Beneficiary.name.contains(filters["q"].strip(),
                                                              autoescape=True))
    return statement.order_by(Visit.visited_on.desc(), Village.code, Beneficiary.name, Visit.id)


def _item(row):
    visit = row.Visit
    return {
        "id": visit.id, "version": visit.version, "visit_type": visit.visit_type,
        "visited_on": visit.visited_on, "summary": visit.summary,
        "beneficiary_id": visit.beneficiary_id, "beneficiary_name": row.beneficiary_name,
        "village_id": visit.village_id, "village_name": row.village_name,
        "township_name": row.township_name, "liaison_name": row.liaison_name,
        "review_status": visit.review_status, "review_comment": visit.review_comment,
        "photo_count": len(visit.photo_ids or []), "has_location": bool(visit.location),
        "updated_at": visit.updated_at,
    }


def queue_page(filters, actor):
    statement = queue_statement(filters, actor)
    total = db.session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    page, per_page = filters["page"], filters["per_page"]
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [_item(row) for row in rows], "total": total, "page": page,
            "per_page": per_page}


def _name(model, record_id, attribute):
    record = db.session.get(model, record_id) if record_id is not None else None
    return getattr(record, attribute) if record is not None else None


def _photos(visit):
    wanted = [str(photo_id) for photo_id in visit.photo_ids or []]
    if not wanted:
        return []
    # another user's upload under an id the visit names is not the visit's photo
    stored = {str(photo_id): found for photo_id, found in
              shown_through(visit, [uuid.UUID(p) for p in wanted]).items()}
    return [
        {"id": photo_id, "uploaded": photo_id in stored,
         "content_type": stored[photo_id][0] if photo_id in stored else None,
         "size": stored[photo_id][1] if photo_id in stored else None}
        for photo_id in wanted
    ]


def _history(visit):
    """Who created, changed and reviewed the visit: names of the fields, not their values."""
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "visit", AuditEntry.record_id == str(visit.id),
            AuditEntry.action.in_(HISTORY_ACTIONS),
        ).order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    history = []
    for entry in entries:
        changes = entry.changes or {}
        comment = None
        if entry.action == "review":
            comment = (changes.get("review_comment") or [None, None])[1]
        history.append({
            "at": entry.at, "action": entry.action, "username": entry.username,
            "fields": sorted(changes) if entry.action != "create" else [],
            "comment": comment,
        })
    return history


def visit_detail(visit_id, actor):
    scope.require_staff(actor)
    visit = scope.get_or_404(Visit, visit_id, actor)
    person = db.session.get(Beneficiary, visit.beneficiary_id)
    village = db.session.get(Region, visit.village_id)
    case = db.session.get(MediationCase, visit.case_id) if visit.case_id else None
    return {
        "visit": visit,
        "beneficiary": person,
        "village_name": village.name,
        "township_name": village.parent.name if village.parent else None,
        "liaison_name": _name(User, visit.liaison_id, "display_name"),
        "reviewer_name": _name(User, visit.reviewed_by_id, "display_name"),
        "case": None if case is None else {
            "id": str(case.id), "kind": case.kind, "parties": case.parties,
            "status": case.status, "opened_on": case.opened_on.isoformat(),
        },
        "photos": _photos(visit),
        "history": _history(visit),
    }


def approve_village(values, actor):
    """Approve every pending visit of a village in a month, one review at a time.

    Returned visits wait for their liaison's fix and are left alone; approved ones
    are locked already.
    """
    scope.require_staff(actor)
    village = scope.require_village(values["village_id"], actor)
    first, following = month_bounds(values["month"])
    statement = select(Visit).where(
        Visit.village_id == village.id, Visit.deleted_at.is_(None),
        Visit.visited_on >= first, Visit.visited_on < following,
    )
    if values.get("visit_type"):
        statement = statement.where(Visit.visit_type == values["visit_type"])
    visits = db.session.scalars(statement.order_by(Visit.visited_on, Visit.id)).all()
    approved = []
    for visit in visits:
        if visit.review_status == "pending":
            review_visit(visit, "approve", None, actor)
            approved.append(visit.id)
    returned = sum(1 for visit in visits if visit.review_status == "returned")
    return {"approved": len(approved), "visit_ids": approved, "skipped_returned": returned}
