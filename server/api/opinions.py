from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..extensions import db
from ..feedback import opinions
from ..feedback.schemas import (
    OpinionCreateSchema,
    OpinionPageSchema,
    OpinionQuerySchema,
    OpinionSchema,
    OpinionUpdateSchema,
)
from . import BEARER

blp = Blueprint("opinions", __name__, url_prefix="/api/v1/opinions",
                description="联络员收集的群众意见：与征求意见同一办理流程，答复回到联络员手机")


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(OpinionQuerySchema(), location="query")
@blp.response(200, OpinionPageSchema)
def list_opinions(filters):
    """The opinions collected in the user's area, newest first."""
    return opinions.opinion_page(filters, current_user)


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(OpinionCreateSchema())
@blp.response(201, OpinionSchema)
def create_opinion(values):
    """Also a feedback (source ``liaison``) with the forms' deadline, handled by staff as
    any; the person when known, else ``anonymous`` or nobody named (the liaison's village)."""
    opinion = opinions.create_opinion(values, current_user)
    db.session.commit()
    return opinion


@blp.route("/<uuid:opinion_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, OpinionSchema)
def get_opinion(opinion_id):
    return opinions.get_opinion(opinion_id, current_user)


@blp.route("/<uuid:opinion_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(OpinionUpdateSchema())
@blp.response(200, OpinionSchema)
def update_opinion(changes, opinion_id):
    """已转告: ``relayed_on``, once the opinion is answered; nothing else changes."""
    opinion = opinions.get_opinion(opinion_id, current_user)
    opinions.update_opinion(opinion, changes, current_user)
    db.session.commit()
    return opinion
