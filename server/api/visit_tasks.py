from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..common.paging import paginate
from ..visits import operations
from ..visits.schemas import VisitTaskPageSchema, VisitTaskQuerySchema
from . import BEARER

blp = Blueprint(
    "visit_tasks", __name__, url_prefix="/api/v1/visit-tasks", description="走访任务（只读）"
)


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(VisitTaskQuerySchema(), location="query")
@blp.response(200, VisitTaskPageSchema)
def list_visit_tasks(filters):
    """Tasks are made by the scheduler and closed by monthly visits; nobody edits them here."""
    statement = operations.list_tasks_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])
