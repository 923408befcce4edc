from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import text

from ..common import choices
from ..common.timeutil import county_today
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
    """Codes and their Chinese labels (categories, visit types, statuses …), and the
    county's own 便民服务 (``services``, LIANXIN_SERVICES)."""
    services = {s["code"]: s["label"] for s in current_app.config["LIANXIN_SERVICES"]}
    return {**choices.ALL, "services": services}


@blp.route("/meta/settings")
@blp.response(200)
def county_settings():
    """The county's visit-day rules, so phones judge "overdue" and "today" as the server
    does, the 常用语 its liaisons tap into a visit, per visit type, and the 便民服务 a
    visit may record."""
    config = current_app.config
    return {
        "visit_day": config["LIANXIN_VISIT_DAY"],
        "overdue_grace_days": config["LIANXIN_OVERDUE_GRACE_DAYS"],
        "time_zone": config["LIANXIN_TZ"],
        "today": county_today().isoformat(),
        "quick_phrases": config["LIANXIN_QUICK_PHRASES"],
        "services": config["LIANXIN_SERVICES"],
    }
