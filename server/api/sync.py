"""The sync endpoints of shared/docs/SYNC.md. The protocol itself lives in server/sync/."""

import json
import time

from flask import Response, request, send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint
from zlib_ng import gzip_ng

from ..errors import ApiError, problem
from ..extensions import db
from ..sync import conflicts, devices
from ..sync.pull import encode, pull
from ..sync.push import push
from ..sync.schemas import (
    MAX_MUTATIONS,
    MAX_PUSH_BYTES,
    ConflictQuerySchema,
    ConflictSchema,
    ConflictSecretsSchema,
    DeviceQuerySchema,
    DeviceSchema,
    PullQuerySchema,
    PullResultSchema,
    PushResultSchema,
    PushSchema,
    ResolveSchema,
)
from ..visits import photos
from . import BEARER


def actor():
    """The signed-in User itself, not flask-jwt-extended's ``current_user`` proxy, whose
    every attribute read looks the user up again (a pull reads the user's role and
    region once per record)."""
    return current_user._get_current_object()

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="离线同步")


def _check_push_size():
    if (request.content_length or 0) > MAX_PUSH_BYTES:
        raise ApiError("一次同步的数据不能超过 5 MB", status=413, code="push_too_large")
    body = request.get_json(silent=True)
    if isinstance(body, dict) and len(body.get("mutations") or []) > MAX_MUTATIONS:
        raise ApiError(f"一次最多同步 {MAX_MUTATIONS} 条变更", status=413, code="push_too_large")


@blp.route("/sync/push", methods=["POST"])
# The body is read by hand (its size is checked before it is parsed), so described here.
@blp.doc(security=[BEARER], requestBody={
    "required": True, "content": {"application/json": {"schema": PushSchema}}})
@jwt_required()
@blp.response(200, PushResultSchema)
@blp.alt_response(409, description="a gap: resend from last_mutation_id (problem+json)")
def push_mutations():
    _check_push_size()
    envelope = PushSchema().load(request.get_json(silent=True) or {})
    outcome = push(envelope, actor())
    if outcome.status_code == 409:
        return problem(409, "变更编号不连续，请从断点重新发送", code="mutation_gap",
                       last_mutation_id=outcome.body["last_mutation_id"])
    # Answered as made (its results are plain JSON already): the schema above documents it.
    return Response(json.dumps(outcome.body, ensure_ascii=False, separators=(",", ":")),
                    mimetype="application/json")


@blp.route("/sync/pull")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(PullQuerySchema(), location="query")
@blp.response(200, PullResultSchema)  # documents the page; the view answers it as made
def pull_changes(query):
    started = time.perf_counter()
    body = pull(actor(), request.headers.get("X-Client-Id"), query["cursor"], query["limit"])
    payload = encode(body)
    response = Response(payload, mimetype="application/json")
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(payload) > 1024:
        # zlib-ng at level 5: no more bytes than zlib's level 6 on pulls measured (an
        # incremental and a first pull), in a third of the time (docs/performance.md).
        response.set_data(gzip_ng.compress(payload, compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


@blp.route("/attachments/<uuid:attachment_id>", methods=["PUT"])
@blp.doc(security=[BEARER], requestBody={"required": True, "content": {
    content_type: {"schema": {"type": "string", "format": "binary"}}
    for content_type in sorted(photos.CONTENT_TYPES)}}, parameters=[{
        "name": "X-Content-SHA256", "in": "header", "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
        "description": "SHA-256 of the body, hex"}])
@jwt_required()
@blp.response(200)
@blp.alt_response(201, description="stored")
def put_attachment(attachment_id):
    _, created = photos.store(
        attachment_id, request.get_data(cache=False), request.content_type,
        request.headers.get("X-Content-SHA256"), actor(),
    )
    db.session.commit()
    return {"id": str(attachment_id), "stored": True}, 201 if created else 200


@blp.route("/attachments/<uuid:attachment_id>")
@blp.doc(security=[BEARER])
@jwt_required()
def get_attachment(attachment_id):
    attachment = photos.get_readable(attachment_id, actor())
    response = send_file(photos.file_of(attachment), mimetype=attachment.content_type,
                         etag=attachment.file_key, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@blp.route("/sync/conflicts")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ConflictQuerySchema(), location="query")
@blp.response(200, ConflictSchema(many=True))
def list_conflicts(filters):
    return conflicts.list_conflicts(filters, actor())


@blp.route("/sync/conflicts/<uuid:conflict_id>/resolve", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ResolveSchema())
@blp.response(200, ConflictSchema)
def resolve_conflict(body, conflict_id):
    conflict = conflicts.get_visible(conflict_id, actor())
    conflicts.resolve(conflict, body["choices"], actor())
    db.session.commit()
    return conflict


@blp.route("/sync/conflicts/<uuid:conflict_id>/secrets")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, ConflictSecretsSchema)
def reveal_conflict_secrets(conflict_id):
    """The clashing values the listing hides (a full ID number). Each read is audited."""
    conflict = conflicts.get_visible(conflict_id, actor())
    secrets = conflicts.reveal_secrets(conflict, actor())
    db.session.commit()
    return secrets


@blp.route("/sync/devices")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(DeviceQuerySchema(), location="query")
@blp.response(200, DeviceSchema(many=True))
def list_devices(filters):
    return devices.stale_devices(filters, actor())
