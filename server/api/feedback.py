from io import BytesIO

from flask import send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..extensions import db
from ..feedback import operations
from ..feedback.export import export_register
from ..feedback.schemas import (
    FeedbackAssignSchema,
    FeedbackExportQuerySchema,
    FeedbackPageSchema,
    FeedbackQuerySchema,
    FeedbackReplySchema,
    FeedbackSchema,
    FeedbackStatsQuerySchema,
    FeedbackStatsSchema,
)
from . import BEARER

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint(
    "feedback", __name__, url_prefix="/api/v1/feedback",
    description="征求意见的办理：交办、答复、办结、统计、台账（县、乡镇民政干部）",
)


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(FeedbackQuerySchema(), location="query")
@blp.response(200, FeedbackPageSchema)
def list_feedback(filters):
    """Newest first. County staff see all; a township officer what came from the
    township's villages or was assigned to the township or to them."""
    return operations.feedback_page(filters, current_user)


@blp.route("/stats")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(FeedbackStatsQuerySchema(), location="query")
@blp.response(200, FeedbackStatsSchema)
def feedback_stats(filters):
    """Resolution rate (closed ÷ received) and mean hours to the first reply."""
    return operations.stats(filters, current_user)


@blp.route("/export.xlsx")
@blp.doc(security=[BEARER], responses={"200": {
    "description": "征求意见台账（Excel）",
    "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
}})
@jwt_required()
@blp.arguments(FeedbackExportQuerySchema(), location="query")
def export_feedback(filters):
    """The feedback register as an Excel workbook, with the list's filters."""
    workbook, name = export_register(filters, current_user)
    return send_file(BytesIO(workbook), mimetype=XLSX, as_attachment=True, download_name=name)


@blp.route("/<uuid:feedback_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, FeedbackSchema)
def get_feedback(feedback_id):
    return operations.get_feedback(feedback_id, current_user)


@blp.route("/<uuid:feedback_id>/assign", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(FeedbackAssignSchema())
@blp.response(200, FeedbackSchema)
def assign_feedback(values, feedback_id):
    """To a township (``region_id``), an officer (``user_id``) or both: status → assigned."""
    feedback = operations.get_feedback(feedback_id, current_user)
    operations.assign(feedback, values, current_user)
    db.session.commit()
    return feedback


@blp.route("/<uuid:feedback_id>/reply", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(FeedbackReplySchema())
@blp.response(200, FeedbackSchema)
def reply_feedback(values, feedback_id):
    """The reply shows on the migrant's status page: status → replied."""
    feedback = operations.get_feedback(feedback_id, current_user)
    operations.reply(feedback, values, current_user)
    db.session.commit()
    return feedback


@blp.route("/<uuid:feedback_id>/close", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, FeedbackSchema)
def close_feedback(feedback_id):
    """Once answered: status → closed (办结)."""
    feedback = operations.get_feedback(feedback_id, current_user)
    operations.close(feedback, current_user)
    db.session.commit()
    return feedback
