from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..beneficiaries import identity, operations
from ..beneficiaries.models import Beneficiary
from ..beneficiaries.schemas import (
    BeneficiaryCreateSchema,
    BeneficiaryPageSchema,
    BeneficiaryQuerySchema,
    BeneficiarySchema,
    BeneficiaryUpdateSchema,
    IdNumberSchema,
)
from ..common.paging import paginate
from ..extensions import db
from . import BEARER

blp = Blueprint(
    "beneficiaries", __name__, url_prefix="/api/v1/beneficiaries", description="优抚对象"
)


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(BeneficiaryQuerySchema(), location="query")
@blp.response(200, BeneficiaryPageSchema)
def list_beneficiaries(filters):
    statement = operations.list_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(BeneficiaryCreateSchema())
@blp.response(201, BeneficiarySchema)
def create_beneficiary(values):
    beneficiary = operations.create_beneficiary(values, current_user)
    db.session.commit()
    return beneficiary


@blp.route("/<uuid:beneficiary_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, BeneficiarySchema)
def get_beneficiary(beneficiary_id):
    return scope.get_or_404(Beneficiary, beneficiary_id, current_user)


@blp.route("/<uuid:beneficiary_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(BeneficiaryUpdateSchema())
@blp.response(200, BeneficiarySchema)
def update_beneficiary(changes, beneficiary_id):
    beneficiary = scope.get_or_404(Beneficiary, beneficiary_id, current_user)
    operations.update_beneficiary(beneficiary, changes, current_user)
    db.session.commit()
    return beneficiary


@blp.route("/<uuid:beneficiary_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_beneficiary(beneficiary_id):
    beneficiary = scope.get_or_404(Beneficiary, beneficiary_id, current_user)
    operations.delete_beneficiary(beneficiary, current_user)
    db.session.commit()


@blp.route("/<uuid:beneficiary_id>/id-number")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, IdNumberSchema)
def reveal_id_number(beneficiary_id):
    """The full ID number. Each read is written to the audit log."""
    beneficiary = scope.get_or_404(Beneficiary, beneficiary_id, current_user)
    number = identity.reveal(beneficiary, current_user)
    db.session.commit()
    return {"id": beneficiary.id, "id_number": number}
