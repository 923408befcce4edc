from io import BytesIO

from flask import send_file
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..reports import dashboard, monthly_pdf
from ..reports.schemas import DashboardQuerySchema, DashboardSchema, MonthlyReportQuerySchema
from . import BEARER

blp = Blueprint("dashboard", __name__, url_prefix="/api/v1",
                description="统计看板与月报（乡镇、县民政干部）")


@blp.route("/dashboard")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(DashboardQuerySchema(), location="query")
@blp.response(200, DashboardSchema)
def get_dashboard(filters):
    """One month: 应访、已访、完成率 by township (``township_id``: by village; ``village_id``:
    one village and its people not visited), overdue tasks, open mediation cases, sick
    and hardship visits, stale devices and conflicts waiting."""
    return dashboard.dashboard(filters, current_user)


@blp.route("/reports/monthly.pdf")
@blp.doc(security=[BEARER], responses={"200": {
    "description": "月报（PDF），每个乡镇一页",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}})
@jwt_required()
@blp.arguments(MonthlyReportQuerySchema(), location="query")
def monthly_report(filters):
    """The bureau's monthly report: one page per township the user serves (county staff
    get a county summary page first)."""
    data, name = monthly_pdf.monthly_report(filters, current_user)
    return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=name)
