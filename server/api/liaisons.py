from flask import request
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..extensions import db
from ..users import liaisons
from ..users.schemas import LiaisonBulkResultSchema, LiaisonBulkSchema, LiaisonSheetFormSchema
from . import BEARER

blp = Blueprint("liaisons", __name__, url_prefix="/api/v1/liaisons",
                description="联络员账号批量建立（管理员）")

_BODY = {"content": {
    "application/json": {"schema": LiaisonBulkSchema},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "姓名、联系电话、村（居）代码（或 乡镇（街道）与 村（居）名称）"},
        "dry_run": {"type": "boolean", "default": True}}}},
}}


@blp.route("/bulk", methods=["POST"])
@blp.doc(security=[BEARER], requestBody=_BODY)
@jwt_required()
@blp.response(200, LiaisonBulkResultSchema)
def bulk_create():
    """One liaison account per village without an active liaison: from the region tree
    (JSON: ``township_id``, ``dry_run``) or from a sheet (multipart: ``file``,
    ``dry_run``). Accounts have no password: the enrollment slip is the login.
    ``dry_run`` (the default) changes nothing."""
    if request.mimetype == "multipart/form-data":
        form = LiaisonSheetFormSchema().load(request.form.to_dict())
        upload = request.files.get("file")
        result = liaisons.from_sheet(upload.read() if upload else None,
                                     upload.filename if upload else None, current_user,
                                     dry_run=form["dry_run"])
    else:
        body = LiaisonBulkSchema().load(request.get_json(silent=True))  # null: 422
        result = liaisons.for_villages(body["township_id"], current_user,
                                       dry_run=body["dry_run"])
    db.session.commit()
    return result
