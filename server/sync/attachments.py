"""Photos uploaded by phones: idempotent by id and hash, readable by who can see the visit."""

import hashlib
import uuid

from sqlalchemy import select

from .. import scope
from ..audit.operations import audit
from ..errors import ApiError, Conflict, NotFound, ValidationFailed
from ..extensions import db
from .models import Attachment, VisitPhoto

CONTENT_TYPES = {"image/jpeg", "image/webp", "image/png"}
MAX_BYTES = 2 * 1024 * 1024
# The first bytes of each accepted format, so a mislabelled upload is refused.
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def store(attachment_id, data, content_type, claimed_sha256, user):
    """Returns (attachment, created)."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise ApiError("照片须为 JPEG、WebP 或 PNG 格式", status=415, code="unsupported_type")
    if len(data) > MAX_BYTES:
        raise ApiError("照片不能超过 2 MB", status=413, code="too_large")
    if not data or not data.startswith(SIGNATURES[content_type]):
        raise ValidationFailed({"body": ["文件内容与格式不符"]})
    digest = hashlib.sha256(data).hexdigest()
    if not claimed_sha256 or claimed_sha256.strip().lower() != digest:
        raise ValidationFailed({"X-Content-SHA256": ["校验值与文件内容不符"]})
    existing = db.session.get(Attachment, attachment_id)
    if existing is not None:
        if not can_read(existing, user):
            raise NotFound("照片不存在")  # the same answer whatever the bytes: ids do not leak
        if existing.sha256 != digest:
            raise Conflict("同一编号已上传了另一张照片", code="attachment_exists")
        return existing, False
    attachment = Attachment(id=attachment_id, sha256=digest, content_type=content_type,
                            size=len(data), data=data, uploaded_by_id=user.id)
    db.session.add(attachment)
    db.session.flush()
    audit("upload", user=user, entity="attachment", record_id=attachment_id,
          changes={"size": len(data), "sha256": digest})
    return attachment, True


def can_read(attachment, user):
    from ..visits.models import Visit

    if attachment.uploaded_by_id == user.id:
        return True
    visits = select(Visit).join(VisitPhoto, VisitPhoto.visit_id == Visit.id).where(
        VisitPhoto.attachment_id == attachment.id)
    return db.session.scalars(scope.visible(visits, Visit, user).limit(1)).first() is not None


def get_readable(attachment_id, user):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_read(attachment, user):
        raise NotFound("照片不存在")
    return attachment


def require_readable_photos(photo_ids, actor):
    """A visit may list photos not uploaded yet, but an uploaded one only if ``actor``
    can read it."""
    for photo_id in photo_ids:
        attachment = db.session.get(Attachment, uuid.UUID(str(photo_id)))
        if attachment is not None and not can_read(attachment, actor):
            raise ValidationFailed({"photo_ids": ["照片不存在"]})


def link_photos(visit, actor, *, new=False):
    """Remember which photos a visit lists (the photos may arrive later).

    A photo already uploaded may only be listed by someone who can read it, so
    naming another area's photo id in one's own visit does not open it up.
    """
    wanted = {str(p) for p in (visit.photo_ids or [])}
    # A visit just created has no links yet (visit_photo.visit_id is a foreign key).
    rows = [] if new else db.session.scalars(
        select(VisitPhoto).where(VisitPhoto.visit_id == visit.id)).all()
    have = {str(r.attachment_id) for r in rows}
    require_readable_photos(wanted - have, actor)
    for row in rows:
        if str(row.attachment_id) not in wanted:
            db.session.delete(row)
    for photo_id in wanted - have:
        db.session.add(VisitPhoto(visit_id=visit.id, attachment_id=uuid.UUID(photo_id)))
    db.session.flush()
