from marshmallow import fields

from ..common.schemas import PageQuerySchema, Schema, page_schema
from ..records.fields import entity_schemas
from .models import Notification

# A notice as shown; the one thing its user changes is ``read`` (the update schema below).
NotificationSchema, _, _ = entity_schemas(Notification, name="Notification")


class NotificationUpdateSchema(Schema):
    read = fields.Boolean(required=True)


class NotificationQuerySchema(PageQuerySchema):
    read = fields.Boolean()


NotificationPageSchema = page_schema(NotificationSchema)
