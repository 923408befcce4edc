from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..audit.operations import list_statement
from ..audit.schemas import AuditPageSchema, AuditQuerySchema
from ..common.paging import paginate
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
    return paginate(list_statement(filters, current_user), filters["page"], filters["per_page"])
