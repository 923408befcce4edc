"""A user's in-app notifications. The scheduler creates them; the user marks them read."""

from sqlalchemy import select

from ..errors import NotFound
from ..extensions import db
from ..records.versioning import create_record, update_record
from .models import Notification


def notify(user_id, kind, title, body, link=None):
    return create_record(
        Notification(user_id=user_id, kind=kind, title=title, body=body, link=link), None
    )


def own_notification(notification_id, user):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id or notification.deleted_at:
        raise NotFound("通知不存在")
    return notification


def mark_read(notification, changes, actor):
    if notification.user_id != actor.id:
        raise NotFound("通知不存在")
    return update_record(notification, {"read": changes["read"]}, actor)


def list_statement(filters, user):
    statement = select(Notification).where(
        Notification.user_id == user.id, Notification.deleted_at.is_(None)
    )
    if "read" in filters:
        statement = statement.where(Notification.read == filters["read"])
    return statement.order_by(Notification.created_at.desc(), Notification.id)
