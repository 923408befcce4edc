from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..common.paging import paginate
from ..extensions import db
from ..users import operations
from ..users.schemas import (
    UserAdminSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserUpdateSchema,
)
from . import BEARER

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="用户管理（管理员）")


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(UserQuerySchema(), location="query")
@blp.response(200, UserPageSchema)
def list_users(filters):
    statement = operations.list_statement(filters, current_user)
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(UserCreateSchema())
@blp.response(201, UserAdminSchema)
def create_user(values):
    user = operations.add_user(values, current_user)
    db.session.commit()
    return user


@blp.route("/<int:user_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, UserAdminSchema)
def get_user(user_id):
    return operations.get_user(user_id, current_user)


@blp.route("/<int:user_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(UserUpdateSchema())
@blp.response(200, UserAdminSchema)
def update_user(values, user_id):
    user = operations.change_user(user_id, values, current_user)
    db.session.commit()
    return user
