"""Writing audit rows. Rows are only ever inserted."""

from flask import g, has_request_context, request

from ..extensions import db
from .models import AuditEntry


def audit(action, *, user=None, entity=None, record_id=None, changes=None, username=None):
    entry = AuditEntry(
        action=action,
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else username,
        entity=entity,
        record_id=str(record_id) if record_id is not None else None,
        changes=changes,
    )
    if has_request_context():
        entry.ip = request.remote_addr
        client_id = g.get("sync_client_id") or request.headers.get("X-Client-Id") or ""
        entry.client_id = client_id[:64] or None
    db.session.add(entry)
    return entry
