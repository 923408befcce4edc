"""The one error shape: RFC 7807 application/problem+json, with Chinese messages.

Validation problems carry ``errors: {field: [messages]}``; authentication
problems carry a stable machine ``code``. Every layer raises these; the app's
handlers (server/api/problems.py) render them, and any other exception, in
this shape. A 500 is logged and tells nothing of the internals.
"""

from flask import jsonify
from marshmallow import INCLUDE, Schema, fields

from .common.schemas import printable_messages

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
