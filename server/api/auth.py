from flask_jwt_extended import current_user, get_jwt, jwt_required
from flask_smorest import Blueprint

from ..enrollment import operations as enrollment
from ..enrollment.schemas import EnrollSchema
from ..extensions import db, limiter
from ..users import operations
from ..users.schemas import (
    FreshTokenSchema,
    LoginResultSchema,
    LoginSchema,
    PasswordChangeSchema,
    PasswordSchema,
    TokenPairSchema,
    UserSchema,
)
from . import BEARER

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


@blp.route("/login", methods=["POST"])
@limiter.limit("20 per minute")
@blp.arguments(LoginSchema())
@blp.response(200, LoginResultSchema)
def login(credentials):
    username = credentials["username"]
    # The password is checked in a transaction of its own that only reads (check_login).
    db.session.commit()
    checked = operations.check_login(username, credentials["password"])
    db.session.commit()
    user = operations.sign_in(username, checked)
    access, refresh = operations.start_session(user)
    db.session.commit()
    return {"access_token": access, "refresh_token": refresh, "user": user}


@blp.route("/enroll", methods=["POST"])
@limiter.limit("20 per minute")
@blp.arguments(EnrollSchema())
@blp.response(200, LoginResultSchema)
def enroll(body):
    """Sign a liaison's phone in with the one-time code of their printed slip (its QR
    code opens ``#/enroll/<code>``): the same answer as a password login. The first
    phone (``client_id``) that uses a slip owns it; the code from any other phone, an
    expired or a revoked slip is refused (401 ``enroll_used_elsewhere``,
    ``enroll_expired``, ``enroll_revoked``, ``enroll_unknown``)."""
    user = enrollment.enroll(body["code"], body["client_id"])
    access, refresh = operations.start_session(user)
    db.session.commit()
    return {"access_token": access, "refresh_token": refresh, "user": user}


@blp.route("/refresh", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required(refresh=True)
@blp.response(200, TokenPairSchema)
def refresh():
    db.session.commit()  # the exchange starts a transaction with its write (rotate_refresh)
    try:
        access, refresh_token = operations.rotate_refresh(current_user, get_jwt())
    except operations.RefreshReused:
        db.session.commit()  # the session of a reused token stays ended
        raise
    db.session.commit()
    return {"access_token": access, "refresh_token": refresh_token}


@blp.route("/fresh", methods=["POST"])
@blp.doc(security=[BEARER])
@limiter.limit("10 per minute")
@jwt_required()
@blp.arguments(PasswordSchema())
@blp.response(200, FreshTokenSchema)
def fresh(body):
    """The password again: a fresh access token for a few minutes, which reading full
    ID numbers (an export with ``full_ids``) requires. A wrong password is a 422."""
    operations.confirm_password(current_user, get_jwt(), body["password"])
    token = operations.fresh_access_token(current_user, get_jwt())
    db.session.commit()
    return {"access_token": token, "expires_in": operations.FRESH_MINUTES * 60}


@blp.route("/password", methods=["POST"])
@blp.doc(security=[BEARER])
@limiter.limit("10 per minute")
@jwt_required()
@blp.arguments(PasswordChangeSchema())
@blp.response(204)
def change_password(body):
    """Change one's own password: the current one, then the new one (at least 8
    characters of three kinds, not a common one). A wrong current password is a 422;
    five of them slow this session down (429). Every other login of the user ends; this one goes on."""
    operations.change_own_password(current_user, get_jwt(), body["current_password"],
                                   body["new_password"])
    db.session.commit()


@blp.route("/logout", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def logout():
    operations.end_session(current_user, get_jwt())
    db.session.commit()


@blp.route("/me")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, UserSchema)
def me():
    return current_user
