"""The one error shape: RFC 7807 application/problem+json, with Chinese messages.

Validation problems carry ``errors: {field: [messages]}``; authentication
problems carry a stable machine ``code``. A 500 is logged and tells nothing
of the internals.
"""

from flask import current_app, jsonify
from marshmallow import INCLUDE, Schema, ValidationError, fields
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from .common.schemas import UNSTORABLE_TEXT, printable_messages
from .extensions import db

TITLES = {
    400: "请求有误",
    401: "未登录或登录已失效",
    403: "无权进行此操作",
    404: "记录不存在",
    405: "不支持的请求方法",
    409: "数据冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "提交的数据有误",
    423: "账号已锁定",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    503: "服务暂时不可用，请稍后再试",
}


PROBLEM_JSON = "application/problem+json"

# Seconds a client waits before it retries after a 503 (the phone's sync backs off).
RETRY_AFTER_SECONDS = 30


class ProblemSchema(Schema):
    """The error body as :func:`problem` sends it, for the OpenAPI description only."""

    class Meta:
        unknown = INCLUDE  # RFC 7807 extension members (``idle_minutes`` …)

    type = fields.String(required=True, metadata={"example": "urn:lianxin:problem:not_found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(metadata={"description": "stable machine code"})
    errors = fields.Dict(keys=fields.String(),
                         metadata={"description": "validation: {field: [messages]}"})


class ApiError(Exception):
    """Raised by operations and handlers; rendered as problem+json."""

    status = 400
    code = None

    def __init__(self, detail=None, *, status=None, code=None, errors=None, title=None,
                 headers=None, **extra):
        super().__init__(detail)
        self.headers = headers or {}
        self.status = status or self.status
        self.code = code or self.code
        self.detail = detail
        self.errors = errors
        self.title = title
        self.extra = extra


class ValidationFailed(ApiError):
    status = 422
    code = "validation_failed"

    def __init__(self, errors, detail="请检查标出的字段", **kwargs):
        super().__init__(detail, errors=errors, **kwargs)


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class Conflict(ApiError):
    status = 409
    code = "conflict"


def problem(status, detail=None, *, code=None, errors=None, title=None, **extra):
    body = {
        "type": f"urn:lianxin:problem:{code}" if code else "about:blank",
        "title": title or TITLES.get(status, "请求未能完成"),
        "status": status,
        "detail": detail or title or TITLES.get(status, ""),
    }
    if code:
        body["code"] = code
    if errors:
        # An unknown field's name is echoed as sent: a lone surrogate in it is not JSON.
        body["errors"] = printable_messages(errors)
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _flatten_webargs(messages):
    """webargs nests errors by location ({"json": {...}}); the client wants fields only."""
    errors = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            for field, msgs in location_errors.items():
                errors[field] = msgs if isinstance(msgs, (list, dict)) else [msgs]
        else:
            errors.setdefault("_schema", []).extend(location_errors)
    return errors


def _rollback():
    """Roll the request's transaction back; True if the database answered. On a connection
    that died (mid-COPY, a restarted server) the rollback itself raises: the error is then
    that the database is unavailable, whatever the handler was answering."""
    try:
        db.session.rollback()
        return True
    except Exception:  # noqa: BLE001 - any failure here means the same: no database
        current_app.logger.exception("rollback failed")
        try:
            db.session.close()  # gives the dead connection back to be discarded
        except Exception:  # noqa: BLE001
            current_app.logger.exception("closing the session failed")
        return False


def _database_unavailable():
    response = problem(503, "数据库暂时不可用，请稍后再试", code="database_unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_api_error(exc):
    if not _rollback():
        return _database_unavailable()
    _keep_audit(exc)
    response = problem(
        exc.status, exc.detail, code=exc.code, errors=exc.errors, title=exc.title, **exc.extra
    )
    response.headers.update(exc.headers)
    return response


def _keep_audit(exc):
    """Audit rows an error carries outlive its rollback (a refused lookup's trace)."""
    from .audit.operations import write_kept

    try:
        if write_kept(exc):
            db.session.commit()
    except Exception:  # the refusal is still answered; the log says what was lost
        db.session.rollback()
        current_app.logger.exception("could not write the audit row of a refusal")


def _handle_http_exception(exc):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    if status == 422 and "messages" in data:
        return problem(
            422, "请检查标出的字段", code="validation_failed",
            errors=_flatten_webargs(data["messages"]),
        )
    detail = data.get("message") if isinstance(data.get("message"), str) else None
    response = problem(status, detail)
    for name, value in (exc.get_headers() if hasattr(exc, "get_headers") else []):
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _handle_validation_error(exc):
    if not _rollback():
        return _database_unavailable()
    messages = exc.messages
    errors = messages if isinstance(messages, dict) else {"_schema": messages}
    return problem(422, "请检查标出的字段", code="validation_failed", errors=errors)


def _handle_database_unavailable(exc):
    _rollback()
    current_app.logger.error("database unavailable: %s", exc)
    return _database_unavailable()


def _handle_refused_value(exc):
    """The last line behind the schemas (server/common/schemas.py refuses such input
    first): a value the database or its driver refused is the request's fault, not a 500."""
    if not _rollback():
        return _database_unavailable()
    # The class only: PostgreSQL's message can quote the row (docs/security.md).
    current_app.logger.warning("value refused by the database: %s", type(exc).__name__)
    if isinstance(exc, IntegrityError):
        return problem(409, "与已有数据冲突（如编号已被使用）", code="conflict")
    return problem(422, "请检查提交的内容", code="validation_failed",
                   errors={"_schema": [UNSTORABLE_TEXT]})


def _handle_unexpected(exc):
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return _handle_database_unavailable(exc)
    if not _rollback():
        return _database_unavailable()
    current_app.logger.exception("unhandled error")
    return problem(500, "服务器出现问题，已记录，请稍后再试", code="internal_error")


def init_app(app):
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(ValidationError, _handle_validation_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(OperationalError, _handle_database_unavailable)
    for refused in (DataError, IntegrityError, UnicodeError):
        app.register_error_handler(refused, _handle_refused_value)
    app.register_error_handler(Exception, _handle_unexpected)
