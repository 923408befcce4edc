from sqlalchemy import select

from .. import scope
from ..errors import ValidationFailed
from ..extensions import db
from ..records.versioning import create_record, require_new_id, update_record
from .models import Region

PARENT_LEVEL = {"county": None, "township": "county", "village": "township"}


def create_region(values, actor):
    scope.require_role(actor, "admin")
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(Region, record_id)
    if db.session.scalar(select(Region.id).where(Region.code == values["code"])):
        raise ValidationFailed({"code": ["代码已存在"]})
    parent_level = PARENT_LEVEL[values["level"]]
    parent = db.session.get(Region, values.get("parent_id")) if values.get("parent_id") else None
    if parent_level is None and values.get("parent_id"):
        raise ValidationFailed({"parent_id": ["县级地区没有上级"]})
    if parent_level is not None and (parent is None or parent.level != parent_level):
        raise ValidationFailed({"parent_id": ["上级地区不存在或级别不对"]})
    return create_record(Region(**values), actor, record_id=record_id)


def rename_region(region, values, actor):
    scope.require_role(actor, "admin")
    return update_record(region, values, actor)


def list_statement(filters, actor):
    statement = select(Region).where(
        Region.id.in_(scope.region_scope(actor)), Region.deleted_at.is_(None)
    )
    for name in ("level", "parent_id"):
        if name in filters:
            statement = statement.where(getattr(Region, name) == filters[name])
    return statement.order_by(Region.code)


def get_visible(region_id, actor):
    region = db.session.get(Region, region_id)
    if region is None or region.deleted_at is not None or region.id not in scope.region_scope(actor):
        from ..errors import NotFound

        raise NotFound("地区不存在")
    return region
