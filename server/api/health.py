from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.paging import paginate
from ..extensions import db
from ..health import operations
from ..health.models import HealthEvent
from ..health.schemas import (
    HealthEventCreateSchema,
    HealthEventPageSchema,
    HealthEventQuerySchema,
    HealthEventSchema,
    HealthEventUpdateSchema,
    HealthFileSchema,
    HealthFileWriteSchema,
)
from . import BEARER

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="健康档案与健康事件")


@blp.route("/beneficiaries/<uuid:beneficiary_id>/health-file")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, HealthFileSchema)
def get_health_file(beneficiary_id):
    beneficiary = scope.get_or_404(Beneficiary, beneficiary_id, current_user)
    return operations.health_file_of(beneficiary)


@blp.route("/beneficiaries/<uuid:beneficiary_id>/health-file", methods=["PUT"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(HealthFileWriteSchema())
@blp.response(200, HealthFileSchema)
@blp.alt_response(201, schema=HealthFileSchema, description="新建的健康档案")
def put_health_file(values, beneficiary_id):
    """Create the person's health file, or change the fields sent."""
    beneficiary = scope.get_or_404(Beneficiary, beneficiary_id, current_user)
    health_file, created = operations.upsert_health_file(beneficiary, values, current_user)
    db.session.commit()
    return health_file, 201 if created else 200


@blp.route("/health-events")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(HealthEventQuerySchema(), location="query")
@blp.response(200, HealthEventPageSchema)
def list_health_events(filters):
    statement = operations.list_events_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("/health-events", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(HealthEventCreateSchema())
@blp.response(201, HealthEventSchema)
def create_health_event(values):
    event = operations.create_health_event(values, current_user)
    db.session.commit()
    return event


@blp.route("/health-events/<uuid:event_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, HealthEventSchema)
def get_health_event(event_id):
    return scope.get_or_404(HealthEvent, event_id, current_user)


@blp.route("/health-events/<uuid:event_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(HealthEventUpdateSchema())
@blp.response(200, HealthEventSchema)
def update_health_event(changes, event_id):
    event = scope.get_or_404(HealthEvent, event_id, current_user)
    operations.update_health_event(event, changes, current_user)
    db.session.commit()
    return event


@blp.route("/health-events/<uuid:event_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_health_event(event_id):
    event = scope.get_or_404(HealthEvent, event_id, current_user)
    operations.delete_health_event(event, current_user)
    db.session.commit()
