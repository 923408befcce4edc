from marshmallow import fields, validate

from ..common.schemas import QuerySchema, Schema


class EnrollSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_id = fields.String(required=True, validate=validate.Length(min=8, max=64), metadata={
        "description": "the phone's sync client id: the slip is bound to the first one"})


class EnrollmentQuerySchema(QuerySchema):
    township_id = fields.UUID()
    village_id = fields.UUID()


class SlipPrintSchema(Schema):
    user_ids = fields.List(fields.Integer(), allow_none=True, load_default=None,
                           validate=validate.Length(max=2000))
    township_id = fields.UUID(allow_none=True, load_default=None)
    village_id = fields.UUID(allow_none=True, load_default=None)
    only_without_slip = fields.Boolean(load_default=False, metadata={
        "description": "只打印还没有有效或已用登录单的联络员"})
    sign_out_old_phone = fields.Boolean(load_default=False, metadata={
        "description": "同时让该联络员在其他手机上退出登录（手机丢失时）"})


class EnrollmentUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    phone = fields.String(allow_none=True)


class EnrollmentVillageSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    township_name = fields.String(allow_none=True)


class SlipStateSchema(Schema):
    id = fields.UUID()
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "valid | used | expired | revoked"})


class EnrollmentItemSchema(Schema):
    user = fields.Nested(EnrollmentUserSchema)
    village = fields.Nested(EnrollmentVillageSchema)
    slip = fields.Nested(SlipStateSchema, allow_none=True)


class EnrollmentListSchema(Schema):
    items = fields.List(fields.Nested(EnrollmentItemSchema))
