"""Photos uploaded by phones: idempotent by id and hash, readable by who can see the visit.

An upload is decoded with Pillow before anything is stored: only a real image of
the format it is labelled as, of at most ``MAX_PIXELS`` pixels, is accepted (a
decompression bomb, a polyglot behind a valid signature, a truncated file are
refused), and it is re-encoded with its EXIF orientation applied and nothing else
of its metadata kept (GPS position, camera, times). ``sha256`` stays the hash of the
bytes the phone sent, so a retried upload is still recognised.

The re-encoded bytes go to the photo store (``LIANXIN_PHOTO_DIR``, default
``instance/photos``; one folder all the app hosts share), a file named by their
SHA-256, written and synced before the attachment's row is flushed: a committed row
always has its file, and a crash before the commit leaves at most a file no row
names, which the purge removes (server/jobs/housekeeping.py). The database holds
the photo's metadata only.

A photo is readable by its uploader and through visits listing it that were recorded
by the uploader: a visit that names an id before it is uploaded grants nothing over
someone else's later upload of that id.
"""

import hashlib
import io
import uuid
import warnings
from datetime import timedelta

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from .. import scope
from ..common.files import FileStore, private_dir
from ..common.timeutil import utcnow
from ..errors import ApiError, Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..records.audit import audit
from .models import Attachment, VisitPhoto

CONTENT_TYPES = {"image/jpeg": "JPEG", "image/webp": "WEBP", "image/png": "PNG"}
MAX_BYTES = 2 * 1024 * 1024
# 40 megapixels: more than any phone camera the liaisons carry; decoding more would
# hold hundreds of megabytes of memory per request.
MAX_PIXELS = 40_000_000
NOT_AN_IMAGE = "文件内容与格式不符"
QUOTA_WINDOW = timedelta(hours=24)
FILE_MISSING = "照片文件已丢失，请联系管理员从备份中恢复照片目录"


def photo_store():
    """The photo files: ``LIANXIN_PHOTO_DIR``, else ``instance/photos``."""
    return FileStore(private_dir("LIANXIN_PHOTO_DIR", "photos"))


def _reencoded(data, content_type):
    """The photo decoded and written anew (orientation applied, metadata dropped), or a
    ValidationFailed."""
    image_format = CONTENT_TYPES[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationFailed({"body": ["照片像素过多（不超过 4000 万像素）"]})
                image.load()
                upright = ImageOps.exif_transpose(image)
                if upright is image:
                    upright = image.copy()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationFailed({"body": [NOT_AN_IMAGE]}) from exc
    upright.info = {}  # EXIF, XMP, ICC, text chunks: none is written again
    if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    if image_format == "PNG" and upright.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        upright = upright.convert("RGBA")
    if image_format == "WEBP" and upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.mode else "RGB")
    out = io.BytesIO()
    options = {"quality": 85} if image_format in ("JPEG", "WEBP") else {}
    upright.save(out, format=image_format, **options)
    return out.getvalue()


def _check_quota(user, size):
    """At most LIANXIN_PHOTO_QUOTA_MB uploaded by one user in 24 hours."""
    limit = int(current_app.config["LIANXIN_PHOTO_QUOTA_MB"]) * 1024 * 1024
    used = db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)).where(
        Attachment.uploaded_by_id == user.id, Attachment.created_at >= utcnow() - QUOTA_WINDOW))
    if used + size > limit:
        raise ApiError("24 小时内上传的照片已达上限，请稍后再试", status=429, code="photo_quota")


def store(attachment_id, data, content_type, claimed_sha256, user):
    """Returns (attachment, created)."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise ApiError("照片须为 JPEG、WebP 或 PNG 格式", status=415, code="unsupported_type")
    if len(data) > MAX_BYTES:
        raise ApiError("照片不能超过 2 MB", status=413, code="too_large")
    if not data:
        raise ValidationFailed({"body": [NOT_AN_IMAGE]})
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
    clean = _reencoded(data, content_type)
    _check_quota(user, len(clean))
    file_key = photo_store().put(clean)  # on disk before the row can be committed
    attachment = Attachment(id=attachment_id, sha256=digest, content_type=content_type,
                            size=len(clean), file_key=file_key, uploaded_by_id=user.id)
    db.session.add(attachment)
    db.session.flush()
    audit("upload", user=user, entity="attachment", record_id=attachment_id,
          changes={"size": len(clean), "sha256": digest})
    return attachment, True


def can_read(attachment, user):
    from ..visits.models import Visit

    if attachment.uploaded_by_id == user.id:
        return True
    visits = select(Visit).join(VisitPhoto, VisitPhoto.visit_id == Visit.id).where(
        VisitPhoto.attachment_id == attachment.id,
        Visit.liaison_id == attachment.uploaded_by_id)
    return db.session.scalars(scope.visible(visits, Visit, user).limit(1)).first() is not None


def shown_through(visit, photo_ids):
    """The uploaded photos among ``photo_ids`` that ``visit`` shows (the rule of
    :func:`can_read`: those its liaison uploaded): {id: (content type, size)}."""
    rows = db.session.execute(
        select(Attachment.id, Attachment.content_type, Attachment.size).where(
            Attachment.id.in_(photo_ids), Attachment.uploaded_by_id == visit.liaison_id))
    return {row.id: (row.content_type, row.size) for row in rows}


def get_readable(attachment_id, user):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_read(attachment, user):
        raise NotFound("照片不存在")
    return attachment


def file_of(attachment):
    """The path of ``attachment``'s bytes; a 410 when the file is gone (a photo folder
    lost or restored without its files)."""
    path = photo_store().path(attachment.file_key)
    if not path.is_file():
        current_app.logger.error("photo %s: its file %s is missing", attachment.id, path)
        raise ApiError(FILE_MISSING, status=410, code="photo_file_missing")
    return path


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
