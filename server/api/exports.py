from flask import send_file
from flask_jwt_extended import current_user, get_jwt, jwt_required
from flask_smorest import Blueprint

from ..exports import operations, runner
from ..exports.schemas import ExportCreateSchema, ExportJobSchema
from ..extensions import db
from . import BEARER

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
                description="台账导出（Excel，后台生成，可查看进度）")


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ExportCreateSchema())
@blp.response(202, ExportJobSchema)
def create_export(values):
    """Start a ledger export; poll ``GET /exports/<job_id>`` and fetch ``…/file`` when done.

    ``full_ids: true`` needs a fresh access token (``POST /api/v1/auth/fresh``)."""
    job = operations.start_export(values, current_user, fresh_login=bool(get_jwt().get("fresh")))
    db.session.commit()
    runner.launch(job)
    db.session.commit()  # what an inline run wrote (a thread commits its own)
    return operations.describe(job)


@blp.route("/<uuid:job_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, ExportJobSchema)
def get_export(job_id):
    """Status and progress of one of the user's own exports."""
    return operations.describe(operations.get_job(job_id, current_user))


@blp.route("/<uuid:job_id>/file")
@blp.doc(security=[BEARER], responses={"200": {
    "description": "the ledger (.xlsx)",
    "content": {operations.XLSX: {"schema": {"type": "string", "format": "binary"}}},
}})
@jwt_required()
def download_export(job_id):
    job = operations.get_job(job_id, current_user)
    handle = operations.job_file(job, current_user)
    db.session.commit()
    response = send_file(handle, mimetype=operations.XLSX, as_attachment=True,
                         download_name=job.file_name)
    response.headers["Cache-Control"] = "no-store"
    return response
