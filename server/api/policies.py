from flask import request
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..common.limits import larger_body
from ..extensions import db
from ..policies import operations
from ..policies.schemas import (
    PolicyChangeSchema,
    PolicyEventSchema,
    PolicyPageSchema,
    PolicyPreviewResultSchema,
    PolicyPreviewSchema,
    PolicyQuerySchema,
    PolicyStaffSchema,
    PolicyUploadSchema,
    PolicyWriteSchema,
)
from . import BEARER

blp = Blueprint("policies", __name__, url_prefix="/api/v1",
                description="法规政策：县里发布，联络员离线查阅，群众在 /f/policies 阅读")


@blp.route("/policies")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(PolicyQuerySchema(), location="query")
@blp.response(200, PolicyPageSchema)
def list_policies(filters):
    """The library (``withdrawn=true``: the withdrawn ones); ``q`` matches the title or
    its pinyin initials. Staff only: phones get the library by sync."""
    return operations.page(filters, current_user)


@blp.route("/policies", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(PolicyWriteSchema())
@blp.response(201, PolicyStaffSchema)
def publish(values):
    """County officers and admins. The body is Markdown; HTML in it is shown as text."""
    policy = operations.publish(values, current_user)
    db.session.commit()
    return operations.staff_view(policy)


@blp.route("/policies/preview", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(PolicyPreviewSchema())
@blp.response(200, PolicyPreviewResultSchema)
def preview(values):
    """The HTML a body would be shown as, without saving anything."""
    return operations.preview(values["body"], current_user)


@blp.route("/policies/<uuid:policy_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, PolicyStaffSchema)
def get_policy(policy_id):
    return operations.read(policy_id, current_user)


@blp.route("/policies/<uuid:policy_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(PolicyChangeSchema())
@blp.response(200, PolicyStaffSchema)
def revise(changes, policy_id):
    """A new version (phones get it at their next sync); the old one stays in the history."""
    policy = operations.get(policy_id)
    operations.revise(policy, changes, current_user)
    db.session.commit()
    return operations.staff_view(policy)


@blp.route("/policies/<uuid:policy_id>/withdraw", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, PolicyStaffSchema)
def withdraw(policy_id):
    """Off the public library and every phone from today."""
    policy = operations.get(policy_id)
    operations.withdraw(policy, current_user)
    db.session.commit()
    return operations.staff_view(policy)


@blp.route("/policies/<uuid:policy_id>/pdf", methods=["PUT"])
@larger_body("LIANXIN_POLICY_PDF_MAX_BYTES")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(PolicyUploadSchema, location="files", content_type="multipart/form-data")
@blp.response(200, PolicyStaffSchema)
def attach_pdf(_files, policy_id):
    """A PDF of at most ``LIANXIN_POLICY_PDF_MAX_BYTES`` (10 MB), replacing any before."""
    policy = operations.get(policy_id)
    operations.attach_pdf(policy, request.files.get("file"), current_user)
    db.session.commit()
    return operations.staff_view(policy)


@blp.route("/policies/<uuid:policy_id>/pdf", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, PolicyStaffSchema)
def remove_pdf(policy_id):
    policy = operations.get(policy_id)
    operations.remove_pdf(policy, current_user)
    db.session.commit()
    return operations.staff_view(policy)


@blp.route("/policies/<uuid:policy_id>/history")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, PolicyEventSchema(many=True))
def history(policy_id):
    """What was published when and by whom, oldest first."""
    return operations.history(operations.get(policy_id), current_user)
