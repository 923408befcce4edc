"""Who may see what: the one authorization module the whole server calls.

A liaison's scope is their village, a township officer's their township, a
county officer's and an admin's the whole county. Records of another area are
answered with 404, so their ids do not leak.
"""

from flask import g, has_request_context
from sqlalchemy import false, or_, select

from .common.choices import STAFF_ROLES
from .errors import Forbidden, NotFound, ValidationFailed
from .extensions import db
from .records.entities import COUNTY, OWNER, REGIONS
from .regions.models import Region

OUT_OF_SCOPE = "不在您的管辖范围内"


def village_ids(user):
    """The ids of the villages ``user`` may see, or None for the whole county."""
    if user.role in ("county_officer", "admin"):
        return None
    cache = g.setdefault("_scope_villages", {}) if has_request_context() else {}
    key = (user.id, user.role, user.region_id)
    if key not in cache:
        if user.role == "township_officer":
            ids = db.session.scalars(
                select(Region.id).where(
                    Region.parent_id == user.region_id,
                    Region.level == "village",
                    Region.deleted_at.is_(None),
                )
            ).all()
            cache[key] = frozenset(ids)
        else:
            cache[key] = frozenset([user.region_id])
    return cache[key]


def in_scope(village_id, user):
    ids = village_ids(user)
    return ids is None or village_id in ids


def can_see(entity, record, user):
    """Whether ``user`` may see ``record``, a record of the synced ``entity``: by the
    entity's audience (server/records/entities.py) - its village, the region tree, or
    the user's own (notifications)."""
    if entity.audience == REGIONS:
        return record.id in region_scope(user)
    if entity.audience == OWNER:
        return record.user_id == user.id
    if entity.audience == COUNTY:
        return True
    return in_scope(record.village_id, user)


def visible(statement, model, user, *, include_deleted=False):
    """Narrow a select of ``model`` to what ``user`` may see."""
    ids = village_ids(user)
    if ids is not None:
        statement = statement.where(model.village_id.in_(ids))
    if not include_deleted and hasattr(model, "deleted_at"):
        statement = statement.where(model.deleted_at.is_(None))
    return statement


def require(record, user):
    """``record`` if ``user`` may see it; 404 otherwise (also for soft-deleted ones)."""
    if record is None or getattr(record, "deleted_at", None) is not None:
        raise NotFound("记录不存在或已删除")
    if not in_scope(record.village_id, user):
        raise NotFound("记录不存在或已删除")
    return record


def get_or_404(model, record_id, user):
    return require(db.session.get(model, record_id), user)


def require_keeper(record, user):
    """``record`` if ``user`` may change it: staff whose area holds it, or the liaison
    of its village (a person's health events). 404 out of scope, 403 for anyone else."""
    require(record, user)
    if user.role == "liaison" and user.region_id == record.village_id:
        return record
    require_staff(user)
    return record


def require_village(village_id, user, field="village_id"):
    """A write naming a village must name one the user serves."""
    region = db.session.get(Region, village_id) if village_id else None
    # One answer for unknown and out-of-scope villages, so a write cannot probe ids.
    if (region is None or region.level != "village" or region.deleted_at is not None
            or not in_scope(village_id, user)):
        raise ValidationFailed({field: [OUT_OF_SCOPE]})
    return region


def require_villages(ids, user, field="village_id"):
    """:func:`require_village` for many ids at once (a bulk write), with one query; the
    system itself (no user: the command line, the jobs) serves every village."""
    wanted = {village_id for village_id in ids if village_id}
    if not wanted:
        return
    live = set(db.session.scalars(select(Region.id).where(
        Region.id.in_(wanted), Region.level == "village", Region.deleted_at.is_(None))))
    allowed = None if user is None else village_ids(user)
    if live != wanted or (allowed is not None and not wanted <= allowed):
        raise ValidationFailed({field: [OUT_OF_SCOPE]})


def require_reference(model, record_id, user, field, message):
    """A write naming another record (a case's beneficiary, a log's card) must name one
    the user may see. Missing, deleted and out-of-scope records get the same field
    error, so a write cannot probe for another area's ids."""
    record = db.session.get(model, record_id) if record_id else None
    if record is None or record.deleted_at is not None or not in_scope(record.village_id, user):
        raise ValidationFailed({field: [message]})
    return record


def references(model, record_ids, user):
    """{id: (id, village_id)} of the ``record_ids`` that :func:`require_reference` would
    accept, read with one query (a batch of writes naming many records): plain rows
    of the columns that decide, not records (a person's row is wide)."""
    wanted = {record_id for record_id in record_ids if record_id}
    if not wanted:
        return {}
    table = model.__table__.c
    rows = db.session.execute(select(table.id, table.village_id, table.deleted_at)
                              .where(table.id.in_(wanted)))
    return {row.id: row for row in rows
            if row.deleted_at is None and in_scope(row.village_id, user)}


def visible_feedback(statement, model, user):
    """Migrants' feedback: county staff see all of it; a township officer sees what came
    from the township's villages or was assigned to the township or to them; a liaison
    sees none (the feedback operations refuse liaisons with 403 before asking)."""
    if user.role in ("county_officer", "admin"):
        return statement
    if user.role != "township_officer":
        return statement.where(false())
    return statement.where(or_(
        model.village_id.in_(village_ids(user)),
        model.assigned_region_id == user.region_id,
        model.assigned_user_id == user.id,
    ))


def require_feedback(record, user):
    """``record`` if ``user`` may handle it; 404 otherwise, like any record out of scope."""
    if record is None or record.deleted_at is not None:
        raise NotFound("记录不存在或已删除")
    if user.role in ("county_officer", "admin"):
        return record
    if user.role == "township_officer" and (
        record.village_id in village_ids(user)
        or record.assigned_region_id == user.region_id
        or record.assigned_user_id == user.id
    ):
        return record
    raise NotFound("记录不存在或已删除")


def require_township(township_id, user, field="township_id"):
    """A request naming a township must name one the user serves (any, for county staff)."""
    region = db.session.get(Region, township_id) if township_id else None
    if (region is None or region.level != "township" or region.deleted_at is not None
            or (user.role not in ("county_officer", "admin") and region.id != user.region_id)):
        raise ValidationFailed({field: [OUT_OF_SCOPE]})
    return region


def require_role(user, *roles):
    if user.role not in roles:
        raise Forbidden("您的角色不能进行此操作", code="role_forbidden")


def is_staff(user):
    """Township and county officers and admins: the bureau's people, not the villages'."""
    return user.role in STAFF_ROLES


def require_staff(user):
    require_role(user, *STAFF_ROLES)


def region_scope(user):
    """The ids of regions ``user`` may see: their own subtree and its ancestors.

    Kept for the request, like :func:`village_ids`: a pull asks once per region row.
    """
    cache = g.setdefault("_scope_regions", {}) if has_request_context() else {}
    key = (user.id, user.role, user.region_id)
    if key not in cache:
        cache[key] = frozenset(_region_subtree_and_ancestors(user.region))
    return cache[key]


def _region_subtree_and_ancestors(root):
    ids = set()
    node = root
    while node is not None:
        ids.add(node.id)
        node = node.parent
    if root.level != "village":
        children = [root.id]
        while children:
            children = db.session.scalars(
                select(Region.id).where(Region.parent_id.in_(children))
            ).all()
            ids.update(children)
    return ids
