from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..audit.operations import list_statement
from ..audit.schemas import AuditActionSchema, AuditPageSchema, AuditQuerySchema
from ..common.paging import paginate
from ..reports import audit_log
from . import BEARER

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志（管理员）")


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(AuditQuerySchema(), location="query")
@blp.response(200, AuditPageSchema)
def list_audit(filters):
    """Who did what to which record, when, from which device and address; newest first.
    ``action=read_id_number`` lists every read of full ID numbers."""
    page = paginate(list_statement(filters, current_user), filters["page"], filters["per_page"])
    return {**page, "items": audit_log.described(page["items"])}


@blp.route("/actions")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, AuditActionSchema(many=True))
def list_actions():
    """Every action the log records, with its Chinese name (the filter's choices)."""
    return audit_log.action_choices(current_user)
