"""Purges: ended login sessions, sync bookkeeping past its retention, stray photos.

Audit rows are never deleted: nothing here (or anywhere) touches ``audit_log``.

Sync keeps tombstones (``sync_change`` rows of kind ``delete`` and ``left``) and
mutation answers (``sync_mutation``) for ``LIANXIN_SYNC_RETENTION_DAYS``, never
less than 180 days: a pull cursor older than that is answered with a reset
(server/sync/cursor.py), so no phone can still need them. A retried push of a
purged mutation is answered from the client's counter (server/sync/push.py).

A photo no visit has ever listed is deleted ``LIANXIN_PHOTO_ORPHAN_DAYS`` after its
upload: a phone uploads a visit's photos and the visit in the same sync, so one
still unlisted after weeks is not a visit's photo.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, or_, select

from ..extensions import db
from ..records.models import SyncChange
from ..sync.models import SyncMutation
from ..users.models import LoginSession
from ..visits.models import Attachment, VisitPhoto

MIN_SYNC_RETENTION_DAYS = 180


def sync_retention():
    days = int(current_app.config["LIANXIN_SYNC_RETENTION_DAYS"])
    return timedelta(days=max(days, MIN_SYNC_RETENTION_DAYS))


def purge_login_sessions(now):
    """Delete sessions that were logged out (revoked) or whose refresh token expired.

    A token of a deleted session is refused like a revoked one (server/users/auth.py).
    """
    result = db.session.execute(
        delete(LoginSession)
        .where(or_(LoginSession.revoked_at.is_not(None), LoginSession.expires_at < now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge_sync_log(now):
    cutoff = now - sync_retention()
    tombstones = db.session.execute(
        delete(SyncChange)
        .where(SyncChange.kind.in_(("delete", "left")), SyncChange.changed_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    mutations = db.session.execute(
        delete(SyncMutation).where(SyncMutation.received_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"tombstones": tombstones, "mutations": mutations}


def purge_unlinked_photos(now):
    """Delete photos uploaded more than LIANXIN_PHOTO_ORPHAN_DAYS ago that no visit lists."""
    cutoff = now - timedelta(days=int(current_app.config["LIANXIN_PHOTO_ORPHAN_DAYS"]))
    linked = exists(select(VisitPhoto.attachment_id).where(
        VisitPhoto.attachment_id == Attachment.id))
    result = db.session.execute(
        delete(Attachment).where(Attachment.created_at < cutoff, ~linked)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
