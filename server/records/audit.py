"""Writing audit rows: every change, login event and full read. Rows are only ever inserted."""

from flask import g, has_request_context, request

from ..common.bulk import insert_rows
from ..common.timeutil import utcnow
from ..extensions import db
from .models import AuditEntry


def where_from():
    """The request's address and sync client, stamped on every row it writes."""
    if not has_request_context():
        return {}
    client_id = g.get("sync_client_id") or request.headers.get("X-Client-Id") or ""
    return {"ip": request.remote_addr, "client_id": client_id[:64] or None}


def _values(action, user, entity, record_id, changes, username=None):
    return {
        "action": action,
        "user_id": user.id if user is not None else None,
        "username": user.username if user is not None else username,
        "entity": entity,
        "record_id": str(record_id) if record_id is not None else None,
        "changes": changes,
    }


def audit(action, *, user=None, entity=None, record_id=None, changes=None, username=None):
    entry = AuditEntry(**_values(action, user, entity, record_id, changes, username), **where_from())
    db.session.add(entry)
    return entry


def audit_despite_rollback(error, action, **kwargs):
    """An audit row for what ``error`` refuses, kept although the refusal rolls back the
    transaction (or the sync mutation's savepoint): :func:`write_kept` writes it after
    the rollback. Returns ``error``."""
    error.kept_audit = [*getattr(error, "kept_audit", ()), (action, kwargs)]
    return error


def write_kept(error):
    """Write the rows :func:`audit_despite_rollback` attached to ``error``; True if any."""
    rows = getattr(error, "kept_audit", ())
    for action, kwargs in rows:
        audit(action, **kwargs)
    return bool(rows)


def audit_many(entries, *, user=None):
    """Audit rows for many writes at once (one INSERT): ``entries`` are
    (action, entity, record_id, changes) of writes made by ``user``."""
    if not entries:
        return
    where, now = where_from(), utcnow()
    insert_rows(AuditEntry.__table__, [
        {**_values(action, user, entity, record_id, changes), **where, "at": now}
        for action, entity, record_id, changes in entries
    ])
