"""The app's error handlers: every answer that is not a success is problem+json
(server/errors.py), whatever raised it: an ApiError of an operation, a schema's
ValidationError, werkzeug's HTTP errors, the database refusing a value or being away."""

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from ..common.limits import seconds_to_wait, wait_words
from ..common.schemas import UNSTORABLE_TEXT
from ..errors import RETRY_AFTER_SECONDS, ApiError, problem
from ..extensions import db
from ..records.audit import write_kept


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
    # A rate limit says how long to wait, in the detail and in Retry-After.
    wait = seconds_to_wait() if status == 429 else None
    if wait and not detail:
        detail = f"请求过于频繁，请{wait_words(wait)}后再试"
    response = problem(status, detail)
    for name, value in (exc.get_headers() if hasattr(exc, "get_headers") else []):
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    if wait:
        response.headers.setdefault("Retry-After", str(wait))
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
