from io import BytesIO

from flask import send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..extensions import db
from ..regions import importing, operations
from ..regions.schemas import (
    RegionCreateSchema,
    RegionImportFileSchema,
    RegionImportFormSchema,
    RegionImportResultSchema,
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


@blp.route("/template")
@blp.doc(security=[BEARER], responses={"200": {
    "description": "区划导入模板（统计用区划代码、名称、级别、上级代码）",
    "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}}}}})
@jwt_required()
def regions_template():
    return send_file(BytesIO(importing.template()), as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     download_name="区划导入模板.xlsx")


@blp.route("/import", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(RegionImportFormSchema(), location="form")
@blp.arguments(RegionImportFileSchema(), location="files")
@blp.response(200, RegionImportResultSchema)
def import_regions(form, files):
    """Load townships and villages from a 统计用区划代码 sheet (admin). Idempotent: a
    re-import changes nothing; a changed name renames the region. ``dry_run`` (the
    default) checks every row and changes nothing."""
    upload = files["file"]
    outcome = importing.import_regions(upload.read(), upload.filename, current_user,
                                       dry_run=form["dry_run"])
    db.session.commit()
    return outcome.as_dict()
