from marshmallow import ValidationError, fields, validate, validates_schema

from ..common.schemas import PageQuerySchema, Schema, page_schema


class AuditQuerySchema(PageQuerySchema):
    user_id = fields.Integer()
    username = fields.String(validate=validate.Length(max=40))
    record_id = fields.String(validate=validate.Length(max=40))
    entity = fields.String(validate=validate.Length(max=30))
    action = fields.String(validate=validate.Length(max=30), metadata={
        "description": "e.g. create, update, review, delete, login, read_id_number, export"})
    client_id = fields.String(validate=validate.Length(max=64))
    date_from = fields.Date(metadata={"description": "from this day (county time)"})
    date_to = fields.Date(metadata={"description": "to this day, inclusive (county time)"})

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError({"date_to": ["不能早于开始日期"]})


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    action = fields.String()
    entity = fields.String(allow_none=True)
    record_id = fields.String(allow_none=True)
    changes = fields.Raw(allow_none=True)
    client_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)


AuditPageSchema = page_schema(AuditEntrySchema)
