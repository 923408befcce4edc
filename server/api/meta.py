from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import text

from ..common import choices
from ..extensions import db

blp = Blueprint("meta", __name__, url_prefix="/api/v1", description="服务状态与代码表")


@blp.route("/health")
@blp.response(200)
def health():
    """Liveness and database check (no login)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - report, never raise, from a health check
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database,
            "version": current_app.config["LIANXIN_VERSION"]}
    return body, status


@blp.route("/meta/choices")
@blp.response(200)
def list_choices():
    """Codes and their Chinese labels (categories, visit types, statuses …)."""
    return choices.ALL
