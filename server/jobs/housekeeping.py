"""Purges: ended login sessions, sync bookkeeping past its retention, stray photos.

Audit rows are never deleted: nothing here (or anywhere) touches ``audit_log``.

Sync keeps tombstones (``sync_change`` rows of kind ``delete`` and ``left``) and
mutation answers (``sync_mutation``) for ``LIANXIN_SYNC_RETENTION_DAYS``, never
less than 180 days: a pull cursor older than that is answered with a reset
(server/sync/cursor.py), so no phone can still need them. A retried push of a
purged mutation is answered from the client's counter (server/sync/push.py).

A photo no visit has ever listed is deleted ``LIANXIN_PHOTO_ORPHAN_DAYS`` after its
upload: a phone uploads a visit's photos and the visit in the same sync, so one
still unlisted after weeks is not a visit's photo. Its file goes once that deletion is
committed, with every other file of the photo store no attachment names that has not
been written (or put again) for as long: the files of deleted photos, and those an
upload wrote before a crash kept its row from being committed.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, or_, select

from ..extensions import db
from ..records.models import SyncChange
from ..sync.models import SyncMutation
from ..users.models import LoginSession
from ..visits.models import Attachment, VisitPhoto
from ..visits.photos import photo_store

MIN_SYNC_RETENTION_DAYS = 180
# file keys looked up in the database at a time by the sweep of the photo store
KEY_BATCH = 500


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


def purge_unnamed_photo_files(now):
    """Delete the photo files no attachment names, last written more than
    LIANXIN_PHOTO_ORPHAN_DAYS ago, and temporary files a crash left; returns how many.

    Run after the attachments' deletion is committed. An upload of the same bytes puts
    the file again (refreshing its time) before its row commits, so a file is checked
    for that once more just before it goes.
    """
    age = timedelta(days=int(current_app.config["LIANXIN_PHOTO_ORPHAN_DAYS"]))
    horizon = (now - age).timestamp()
    store = photo_store()
    removed = store.remove_partials(horizon)
    batch = []
    for key in store.iter_keys(older_than=horizon):
        batch.append(key)
        if len(batch) == KEY_BATCH:
            removed += _remove_unnamed(store, batch, horizon)
            batch = []
    return removed + _remove_unnamed(store, batch, horizon)


def _remove_unnamed(store, keys, horizon):
    if not keys:
        return 0
    named = set(db.session.scalars(select(Attachment.file_key).where(Attachment.file_key.in_(keys))))
    removed = 0
    for key in keys:
        path = store.path(key)
        if key in named or not path.exists() or path.stat().st_mtime >= horizon:
            continue
        removed += store.delete(key)
    return removed
