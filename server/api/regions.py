from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..extensions import db
from ..regions import operations
from ..regions.schemas import (
    RegionCreateSchema,
    RegionQuerySchema,
    RegionSchema,
    RegionUpdateSchema,
)
from . import BEARER

blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions", description="县、乡镇、村（居）")


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(RegionQuerySchema(), location="query")
@blp.response(200, RegionSchema(many=True))
def list_regions(filters):
    return db.session.scalars(operations.list_statement(filters, current_user)).all()


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(RegionCreateSchema())
@blp.response(201, RegionSchema)
def create_region(values):
    region = operations.create_region(values, current_user)
    db.session.commit()
    return region


@blp.route("/<uuid:region_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, RegionSchema)
def get_region(region_id):
    return operations.get_visible(region_id, current_user)


@blp.route("/<uuid:region_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(RegionUpdateSchema())
@blp.response(200, RegionSchema)
def rename_region(values, region_id):
    region = operations.get_visible(region_id, current_user)
    operations.rename_region(region, values, current_user)
    db.session.commit()
    return region
