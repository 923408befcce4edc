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
    action_label = fields.String(metadata={"description": "the action in Chinese"})
    entity_label = fields.String(allow_none=True, metadata={"description": "the kind of record"})
    record_label = fields.String(allow_none=True, metadata={
        "description": "whose record: a person's, user's or region's name, a card number"})
    user_label = fields.String(allow_none=True, metadata={"description": "the user's name"})
    changes_named = fields.Raw(allow_none=True, metadata={
        "description": "the changes with Chinese field names and names for ids (redacted "
                       "values stay redacted)"})


class AuditActionSchema(Schema):
    code = fields.String()
    label = fields.String()


AuditPageSchema = page_schema(AuditEntrySchema)
