"""Device telemetry from pushes: which phones hold unsent records and have gone quiet."""

from datetime import timedelta

from sqlalchemy import func, or_, select

from .. import scope
from ..common.timeutil import utcnow
from ..extensions import db
from ..regions.models import Region
from ..users.models import User
from .models import SyncClient


def stale_devices(filters, user):
    scope.require_staff(user)
    horizon = utcnow() - timedelta(days=filters["stale_days"])
    last_seen = func.coalesce(SyncClient.last_push_at, SyncClient.last_pull_at, SyncClient.created_at)
    statement = (
        select(SyncClient, User, Region)
        .join(User, User.id == SyncClient.user_id)
        .join(Region, Region.id == User.region_id)
        .where(last_seen < horizon)
    )
    if filters["unsent_only"]:
        statement = statement.where(SyncClient.outbox_size > 0)
    villages = scope.village_ids(user)
    if villages is not None:
        statement = statement.where(or_(Region.id.in_(villages), Region.id == user.region_id))
    rows = db.session.execute(statement.order_by(last_seen)).all()
    return [
        {"id": client.id, "user_id": owner.id, "username": owner.username,
         "display_name": owner.display_name, "region_name": region.name,
         "app_version": client.app_version, "outbox_size": client.outbox_size,
         "last_push_at": client.last_push_at, "last_pull_at": client.last_pull_at}
        for client, owner, region in rows
    ]
