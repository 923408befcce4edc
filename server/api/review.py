from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..extensions import db
from ..review import operations
from ..review.schemas import (
    ApproveVillageResultSchema,
    ApproveVillageSchema,
    ReviewDetailSchema,
    ReviewPageSchema,
    ReviewQuerySchema,
)
from . import BEARER

blp = Blueprint("review", __name__, url_prefix="/api/v1/review",
                description="走访审核（乡镇、县民政干部）")


@blp.route("/visits")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ReviewQuerySchema(), location="query")
@blp.response(200, ReviewPageSchema)
def review_queue(filters):
    """Visits to review, newest first, with the names a reviewer reads.

    Approve or return one with ``POST /api/v1/visits/<id>/review``.
    """
    return operations.queue_page(filters, current_user)


@blp.route("/visits/<uuid:visit_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, ReviewDetailSchema)
def review_detail(visit_id):
    """A visit's full content: the person, photos (read them at /attachments/<id>),
    location, the mediation case, and who changed and reviewed it."""
    return operations.visit_detail(visit_id, current_user)


@blp.route("/approve-village", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(ApproveVillageSchema())
@blp.response(200, ApproveVillageResultSchema)
def approve_village(values):
    """Approve a village's pending visits of a month in one go (each one reviewed,
    versioned and audited on its own)."""
    result = operations.approve_village(values, current_user)
    db.session.commit()
    return result
