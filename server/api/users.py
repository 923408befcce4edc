from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint
from sqlalchemy import func, select

from ..common.paging import paginate
from ..errors import NotFound
from ..extensions import db
from ..scope import require_role
from ..users import operations
from ..users.models import User
from ..users.schemas import (
    UserAdminSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserUpdateSchema,
)
from . import BEARER

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="用户管理（管理员）")


def _user_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


@blp.route("")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(UserQuerySchema(), location="query")
@blp.response(200, UserPageSchema)
def list_users(filters):
    require_role(current_user, "admin")
    statement = select(User).order_by(User.username)
    for name in ("role", "region_id", "active"):
        if name in filters:
            statement = statement.where(getattr(User, name) == filters[name])
    if filters.get("q"):
        pattern = f"%{filters['q'].lower()}%"
        statement = statement.where(
            func.lower(User.username).like(pattern) | User.display_name.like(pattern)
        )
    return paginate(statement, filters["page"], filters["per_page"])


@blp.route("", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(UserCreateSchema())
@blp.response(201, UserAdminSchema)
def create_user(values):
    require_role(current_user, "admin")
    user = operations.create_user(**values, actor=current_user)
    db.session.commit()
    return user


@blp.route("/<int:user_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, UserAdminSchema)
def get_user(user_id):
    require_role(current_user, "admin")
    return _user_or_404(user_id)


@blp.route("/<int:user_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(UserUpdateSchema())
@blp.response(200, UserAdminSchema)
def update_user(values, user_id):
    require_role(current_user, "admin")
    user = operations.update_user(_user_or_404(user_id), values, current_user)
    db.session.commit()
    return user
