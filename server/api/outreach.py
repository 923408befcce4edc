from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from .. import scope
from ..common.paging import paginate
from ..extensions import db
from ..policies import meetings
from ..policies.models import OutreachMeeting
from ..policies.schemas import (
    MeetingCreateSchema,
    MeetingPageSchema,
    MeetingQuerySchema,
    MeetingSchema,
    MeetingUpdateSchema,
)
from . import BEARER

blp = Blueprint("outreach", __name__, url_prefix="/api/v1",
                description="政策宣讲：村里的宣讲会（联络员在手机上离线记录，同步上传）")


@blp.route("/outreach-meetings")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MeetingQuerySchema(), location="query")
@blp.response(200, MeetingPageSchema)
def list_meetings(filters):
    """The meetings of the villages the user serves, newest first."""
    return paginate(meetings.list_statement(filters, current_user), filters["page"],
                    filters["per_page"])


@blp.route("/outreach-meetings", methods=["POST"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MeetingCreateSchema())
@blp.response(201, MeetingSchema)
def create_meeting(values):
    meeting = meetings.create_meeting(values, current_user)
    db.session.commit()
    return meeting


@blp.route("/outreach-meetings/<uuid:meeting_id>")
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(200, MeetingSchema)
def get_meeting(meeting_id):
    return scope.get_or_404(OutreachMeeting, meeting_id, current_user)


@blp.route("/outreach-meetings/<uuid:meeting_id>", methods=["PATCH"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.arguments(MeetingUpdateSchema())
@blp.response(200, MeetingSchema)
def update_meeting(changes, meeting_id):
    meeting = scope.get_or_404(OutreachMeeting, meeting_id, current_user)
    meetings.update_meeting(meeting, changes, current_user)
    db.session.commit()
    return meeting


@blp.route("/outreach-meetings/<uuid:meeting_id>", methods=["DELETE"])
@blp.doc(security=[BEARER])
@jwt_required()
@blp.response(204)
def delete_meeting(meeting_id):
    meeting = scope.get_or_404(OutreachMeeting, meeting_id, current_user)
    meetings.delete_meeting(meeting, current_user)
    db.session.commit()
