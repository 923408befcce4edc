"""The policy library as phones hold it (read-only, the same for everyone in the county),
and the villages' outreach meetings (written on the phone, like a visit)."""

from ..records.entities import COUNTY, Entity, declare
from . import meetings
from .models import OutreachMeeting, Policy
from .schemas import MeetingCreateSchema, MeetingSchema, MeetingUpdateSchema, PolicySchema

POLICY = declare(Entity("policy", Policy, PolicySchema(), audience=COUNTY))

OUTREACH_MEETING = declare(Entity(
    "outreach_meeting", OutreachMeeting, MeetingSchema(), MeetingCreateSchema,
    MeetingUpdateSchema, meetings.create_meeting, meetings.update_meeting,
    meetings.delete_meeting,
))
