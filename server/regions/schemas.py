from flask_smorest.fields import Upload
from marshmallow import fields, validate

from ..common.choices import REGION_LEVELS
from ..common.schemas import QuerySchema, Schema, SyncRecordSchema, choice, required_text
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


class RegionImportFormSchema(Schema):
    dry_run = fields.Boolean(load_default=True, metadata={
        "description": "试导入：只检查，不改动（默认）"})


class RegionImportFileSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "统计用区划代码表（.xlsx 或 .csv）：统计用区划代码、名称，可选 级别、上级代码"})


class ImportErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "Excel 的行号"})
    column = fields.String()
    message = fields.String()


class RegionImportResultSchema(Schema):
    dry_run = fields.Boolean()
    created = fields.Integer()
    renamed = fields.Integer()
    unchanged = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))
