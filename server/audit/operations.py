"""The audit log as admins read it (server/records/audit.py writes it)."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from .. import scope
from ..common.timeutil import county_zone
from ..records.models import AuditEntry


def list_statement(filters, actor):
    """The log, newest first, narrowed by the filters. Admins only."""
    scope.require_role(actor, "admin")
    statement = select(AuditEntry)
    for name in ("user_id", "username", "record_id", "entity", "action", "client_id"):
        if filters.get(name) not in (None, ""):
            statement = statement.where(getattr(AuditEntry, name) == filters[name])
    zone = county_zone()
    if filters.get("date_from"):
        statement = statement.where(
            AuditEntry.at >= datetime.combine(filters["date_from"], time(0), tzinfo=zone))
    if filters.get("date_to"):
        following = filters["date_to"] + timedelta(days=1)
        statement = statement.where(AuditEntry.at < datetime.combine(following, time(0), tzinfo=zone))
    return statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
