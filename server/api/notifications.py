from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..common.paging import paginate
from ..extensions import db
from ..notifications import operations
from ..notifications.schemas import (
    NotificationPageSchema,
    NotificationQuerySchema,
    NotificationSchema,
    NotificationUpdateSchema,
)
from . import BEARER

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="我的通知")


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(NotificationQuerySchema(), location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(filters):
    statement = operations.list_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("/<uuid:notification_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(NotificationUpdateSchema())
@blp.response(200, NotificationSchema)
def mark_read(changes, notification_id):
    notification = operations.own_notification(notification_id, current_user)
    operations.mark_read(notification, changes, current_user)
    db.session.commit()
    return notification
