from marshmallow import fields, validate

from ..common.choices import REGION_LEVELS
from ..common.schemas import QuerySchema, SyncRecordSchema, choice, required_text
from ..records.fields import entity_schemas
from .models import Region

# The tree as shown (phones read it; admins change it through the REST schemas below).
RegionSchema, _, _ = entity_schemas(Region, name="Region")


class RegionCreateSchema(SyncRecordSchema):
    id = fields.UUID(load_default=None)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6,20}$", error="代码应为 6-20 位数字"))
    name = required_text(60)
    level = choice(REGION_LEVELS, required=True)
    parent_id = fields.UUID(allow_none=True)


class RegionUpdateSchema(SyncRecordSchema):
    name = required_text(60)


class RegionQuerySchema(QuerySchema):
    level = choice(REGION_LEVELS)
    parent_id = fields.UUID()
