from marshmallow import fields, validate

from ..common.choices import ROLES
from ..common.schemas import PageQuerySchema, PhoneNumber, Schema, choice, page_schema, text


class RegionRefSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    level = fields.String()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    region = fields.Nested(RegionRefSchema)


class UserAdminSchema(UserSchema):
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LoginResultSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    user = fields.Nested(UserSchema)


class PasswordSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class FreshTokenSchema(Schema):
    access_token = fields.String(metadata={"description": "fresh for a few minutes"})
    expires_in = fields.Integer(metadata={"description": "seconds"})


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()


_USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,40}$", error="用户名为 3-40 位字母、数字、_ . -")


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=_USERNAME)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    display_name = text(40)
    phone = PhoneNumber(allow_none=True)
    role = choice(ROLES, required=True)
    region_id = fields.UUID(required=True)


class UserUpdateSchema(Schema):
    display_name = text(40)
    phone = PhoneNumber(allow_none=True)
    role = choice(ROLES)
    region_id = fields.UUID()
    active = fields.Boolean()
    password = fields.String(validate=validate.Length(min=1, max=200))


class UserQuerySchema(PageQuerySchema):
    role = choice(ROLES)
    region_id = fields.UUID()
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(max=40))


UserPageSchema = page_schema(UserAdminSchema)


class LiaisonBulkSchema(Schema):
    township_id = fields.UUID(allow_none=True, load_default=None, metadata={
        "description": "只为该乡镇的村（居）建号；不填为全县"})
    dry_run = fields.Boolean(load_default=True)


class LiaisonSheetFormSchema(Schema):
    dry_run = fields.Boolean(load_default=True)


class LiaisonCreatedSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "试导入时为空"})
    username = fields.String()
    display_name = fields.String()
    phone = fields.String(allow_none=True)
    village_id = fields.UUID()
    village_name = fields.String()


class RowErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String()
    message = fields.String()


class LiaisonBulkResultSchema(Schema):
    dry_run = fields.Boolean()
    created = fields.List(fields.Nested(LiaisonCreatedSchema))
    skipped = fields.Integer(metadata={"description": "已有在用联络员的村（居），未建号"})
    errors = fields.List(fields.Nested(RowErrorSchema))
