from marshmallow import fields

from ..common.schemas import PageQuerySchema, Schema, SyncRecordSchema, page_schema


class NotificationSchema(SyncRecordSchema):
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    read = fields.Boolean()


class NotificationUpdateSchema(Schema):
    read = fields.Boolean(required=True)


class NotificationQuerySchema(PageQuerySchema):
    read = fields.Boolean()


NotificationPageSchema = page_schema(NotificationSchema)
