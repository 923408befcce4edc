from io import BytesIO

from flask import send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..enrollment import operations
from ..enrollment.schemas import EnrollmentListSchema, EnrollmentQuerySchema, SlipPrintSchema
from ..extensions import db
from . import BEARER

blp = Blueprint(
    "enrollment", __name__, url_prefix="/api/v1/enrollments",
    description="联络员登录单（民政干部）：打印即发放新的一次性二维码，旧的未用登录单作废",
)


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(EnrollmentQuerySchema(), location="query")
@blp.response(200, EnrollmentListSchema)
def list_enrollments(filters):
    """The liaisons the user serves, each with their newest slip and its state."""
    return operations.list_enrollments(filters, current_user)


# POST, not GET: printing issues new codes and revokes the unused ones already printed.
@blp.route("/slips.pdf", methods=["POST"])
@blp.doc(security=[BEARER], responses={"200": {
    "description": "登录单 PDF：A4，每页 8 张，带裁切线",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}})
@jwt_required()
@blp.arguments(SlipPrintSchema(), required=False)  # no body: every liaison the user serves
def print_slips(selection):
    """Print (issue) a slip for each liaison named: ``user_ids``, a village, a township,
    or all the user serves. 409 ``public_url_not_set`` while LIANXIN_PUBLIC_BASE_URL is
    the loopback default."""
    pdf, label, count = operations.print_slips(selection, current_user)
    db.session.commit()
    response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"登录单-{label}.pdf")
    response.headers["X-Slips-Printed"] = str(count)
    return response


@blp.route("/<uuid:slip_id>/revoke", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def revoke_slip(slip_id):
    """Revoke a slip at once (lost before use, or handed to the wrong person)."""
    operations.revoke(slip_id, current_user)
    db.session.commit()
