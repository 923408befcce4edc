from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..common.paging import paginate
from ..extensions import db
from ..visits import operations
from ..visits.models import Visit
from ..visits.schemas import (
    VisitCreateSchema,
    VisitPageSchema,
    VisitQuerySchema,
    VisitReviewSchema,
    VisitSchema,
    VisitUpdateSchema,
)
from . import BEARER

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="走访记录（五上门）")


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(VisitQuerySchema(), location="query")
@blp.response(200, VisitPageSchema)
def list_visits(filters):
    """Newest visit first."""
    statement = operations.list_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(VisitCreateSchema())
@blp.response(201, VisitSchema)
def create_visit(values):
    visit = operations.create_visit(values, current_user)
    db.session.commit()
    return visit


@blp.route("/<uuid:visit_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, VisitSchema)
def get_visit(visit_id):
    return scope.get_or_404(Visit, visit_id, current_user)


@blp.route("/<uuid:visit_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(VisitUpdateSchema())
@blp.response(200, VisitSchema)
def update_visit(changes, visit_id):
    """Its liaison or staff may change a visit until it is approved."""
    visit = scope.get_or_404(Visit, visit_id, current_user)
    operations.update_visit(visit, changes, current_user)
    db.session.commit()
    return visit


@blp.route("/<uuid:visit_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_visit(visit_id):
    visit = scope.get_or_404(Visit, visit_id, current_user)
    operations.delete_visit(visit, current_user)
    db.session.commit()


@blp.route("/<uuid:visit_id>/review", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(VisitReviewSchema())
@blp.response(200, VisitSchema)
def review_visit(review, visit_id):
    """Staff approve a visit (which locks it) or return it with a comment."""
    visit = scope.get_or_404(Visit, visit_id, current_user)
    operations.review_visit(visit, review["decision"], review.get("comment"), current_user)
    db.session.commit()
    return visit
