from flask import request, send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..common.limits import larger_body
from ..extensions import db
from ..roster import operations, runner
from ..roster.schemas import RosterImportListSchema, RosterImportSchema, RosterUploadSchema
from ..roster.template import FILE_NAME
from . import BEARER

blp = Blueprint("roster", __name__, url_prefix="/api/v1/roster",
                description="优抚对象花名册导入（模板、检查、导入、错误报告）")

XLSX_RESPONSE = {"200": {"description": "an .xlsx workbook", "content": {
    operations.XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


@blp.route("/template")
@blp.doc(security=[BEARER], responses=XLSX_RESPONSE)
@jwt_required()
def get_template():
    """The roster template: the header, drop-downs, an example row and a 说明 sheet."""
    return send_file(operations.template_workbook(current_user), mimetype=operations.XLSX, as_attachment=True,
                     download_name=FILE_NAME)


@blp.route("/imports", methods=["POST"])
@larger_body("LIANXIN_ROSTER_MAX_BYTES")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(RosterUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(202, RosterImportSchema)
def create_import(form):
    """Upload a roster: checked (``dry_run``, the default) or imported by a background
    job; poll ``GET /roster/imports/<id>``. A file that cannot be read at all answers
    422 with ``errors.file``."""
    upload = request.files.get("file")  # documented by the schema, sent as a file part
    job = operations.start_import(upload.stream if upload else None,
                                  upload.filename if upload else None,
                                  form["dry_run"], current_user)
    return _launched(job)


def _launched(job):
    db.session.commit()
    runner.launch(job)
    db.session.commit()  # what an inline run wrote (a thread commits its own)
    return operations.describe(job)


@blp.route("/imports")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, RosterImportListSchema)
def list_imports():
    """The user's own recent imports, newest first."""
    return {"items": [operations.describe(job) for job in operations.list_jobs(current_user)]}


@blp.route("/imports/<uuid:job_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, RosterImportSchema)
def get_import(job_id):
    return operations.describe(operations.get_job(job_id, current_user))


@blp.route("/imports/<uuid:job_id>/apply", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(202, RosterImportSchema)
def apply_import(job_id):
    """Import the good rows of a finished dry run's upload (a new job)."""
    job = operations.start_apply(operations.get_job(job_id, current_user), current_user)
    return _launched(job)


@blp.route("/imports/<uuid:job_id>/report")
@blp.doc(security=[BEARER], responses=XLSX_RESPONSE)
@jwt_required()
def get_report(job_id):
    """The upload with its refused rows marked and a 错误说明 column (404: no errors)."""
    job = operations.get_job(job_id, current_user)
    response = send_file(operations.report_file(job), mimetype=operations.XLSX,
                         as_attachment=True, download_name=operations.report_name(job))
    response.headers["Cache-Control"] = "no-store"
    return response
