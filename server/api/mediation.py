from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..common.paging import paginate
from ..extensions import db
from ..mediation import operations
from ..mediation.models import MediationCase, MediationSession
from ..mediation.schemas import (
    MediationCaseCreateSchema,
    MediationCasePageSchema,
    MediationCaseQuerySchema,
    MediationCaseSchema,
    MediationCaseUpdateSchema,
    MediationSessionBodySchema,
    MediationSessionSchema,
    MediationSessionUpdateSchema,
)
from . import BEARER

blp = Blueprint("mediation", __name__, url_prefix="/api/v1", description="纠纷调解")


@blp.route("/mediation-cases")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MediationCaseQuerySchema(), location="query")
@blp.response(200, MediationCasePageSchema)
def list_cases(filters):
    """Cases in the user's area, newest first."""
    statement = operations.list_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("/mediation-cases", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MediationCaseCreateSchema())
@blp.response(201, MediationCaseSchema)
def create_case(values):
    case = operations.create_case(values, current_user)
    db.session.commit()
    return case


@blp.route("/mediation-cases/<uuid:case_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, MediationCaseSchema)
def get_case(case_id):
    return scope.get_or_404(MediationCase, case_id, current_user)


@blp.route("/mediation-cases/<uuid:case_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MediationCaseUpdateSchema())
@blp.response(200, MediationCaseSchema)
def update_case(changes, case_id):
    """Status only moves forward: open → mediating → resolved | referred."""
    case = scope.get_or_404(MediationCase, case_id, current_user)
    operations.update_case(case, changes, current_user)
    db.session.commit()
    return case


@blp.route("/mediation-cases/<uuid:case_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_case(case_id):
    """Staff only; the sessions are deleted with the case."""
    case = scope.get_or_404(MediationCase, case_id, current_user)
    operations.delete_case(case, current_user)
    db.session.commit()


@blp.route("/mediation-cases/<uuid:case_id>/sessions")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, MediationSessionSchema(many=True))
def list_sessions(case_id):
    case = scope.get_or_404(MediationCase, case_id, current_user)
    return db.session.scalars(operations.sessions_statement(case, current_user)).all()


@blp.route("/mediation-cases/<uuid:case_id>/sessions", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MediationSessionBodySchema())
@blp.response(201, MediationSessionSchema)
def create_session(values, case_id):
    """The first session of an open case moves it to mediating."""
    case = scope.get_or_404(MediationCase, case_id, current_user)
    session = operations.create_session({**values, "case_id": case.id}, current_user)
    db.session.commit()
    return session


@blp.route("/mediation-sessions/<uuid:session_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MediationSessionUpdateSchema())
@blp.response(200, MediationSessionSchema)
def update_session(changes, session_id):
    session = scope.get_or_404(MediationSession, session_id, current_user)
    operations.update_session(session, changes, current_user)
    db.session.commit()
    return session


@blp.route("/mediation-sessions/<uuid:session_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_session(session_id):
    session = scope.get_or_404(MediationSession, session_id, current_user)
    operations.delete_session(session, current_user)
    db.session.commit()
