"""A user's notifications as their phone holds them: marked read there."""

from ..records.entities import OWNER, Entity, declare
from .models import Notification
from .operations import mark_read
from .schemas import NotificationSchema, NotificationUpdateSchema

NOTIFICATION = declare(Entity("notification", Notification, NotificationSchema(),
                              update_schema=NotificationUpdateSchema, update=mark_read,
                              audience=OWNER))
