"""A village's policy outreach as a group meeting: rules shared by the REST API and sync.

The village's liaison records it (offline, like a visit), or staff whose area holds
the village. The people ticked as present must be the village's own; the headcount
(everyone who came, villagers not on the register too) is at least as many. The
liaison who recorded it, and staff of its area, may change or delete it.
"""

from sqlalchemy import select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..records.versioning import create_record, delete_record, require_new_id, update_record
from .models import OutreachMeeting
from .operations import explained

NOT_OF_VILLAGE = "勾选的人员须为本村的优抚对象"
TOO_FEW = "到场人数不能少于勾选的人数"
NOT_YOURS = "只有记录的联络员或民政干部可以修改"
FIELDS = ("held_on", "place", "policies_explained", "attendee_ids", "headcount", "notes")


def _attendees(ids, village_id):
    """The ticked people as kept (strings, in order), each one of the village's."""
    ids = list(dict.fromkeys(ids or ()))
    if ids:
        found = set(db.session.scalars(select(Beneficiary.id).where(
            Beneficiary.id.in_(ids), Beneficiary.village_id == village_id,
            Beneficiary.deleted_at.is_(None))))
        if found != set(ids):
            raise ValidationFailed({"attendee_ids": [NOT_OF_VILLAGE]})
    return [str(person_id) for person_id in ids]


def _checked(values, village_id, *, before=None):
    """``values`` as kept, every field's problem at once; ``before``: the meeting they
    change (its headcount and people count for the rule between the two)."""
    values = dict(values)
    errors = {}
    if "attendee_ids" in values:
        try:
            values["attendee_ids"] = _attendees(values["attendee_ids"], village_id)
        except ValidationFailed as error:
            errors.update(error.errors)
    if "policies_explained" in values:
        try:
            values["policies_explained"] = explained(values["policies_explained"])
        except ValidationFailed as error:
            errors.update(error.errors)
    headcount = values.get("headcount", before.headcount if before else None)
    people = values.get("attendee_ids", before.attendee_ids if before else [])
    if "attendee_ids" not in errors and headcount is not None and headcount < len(people or ()):
        errors["headcount"] = [TOO_FEW]
    if errors:
        raise ValidationFailed(errors)
    return values


def create_meeting(values, actor):
    values = dict(values)
    record_id = values.pop("id", None)
    require_new_id(OutreachMeeting, record_id)
    village = scope.require_village(values.get("village_id"), actor)
    values.setdefault("attendee_ids", [])
    values = _checked({name: values[name] for name in FIELDS if name in values}, village.id)
    meeting = OutreachMeeting(**values, village_id=village.id, liaison_id=actor.id)
    return create_record(meeting, actor, record_id=record_id)


def _require_editor(meeting, actor):
    scope.require(meeting, actor)
    if meeting.liaison_id != actor.id and not scope.is_staff(actor):
        raise Forbidden(NOT_YOURS, code="not_meeting_owner")


def update_meeting(meeting, changes, actor):
    _require_editor(meeting, actor)
    changes = {name: changes[name] for name in FIELDS if name in changes}
    if changes.get("attendee_ids", ()) is None:
        changes["attendee_ids"] = []
    return update_record(meeting, _checked(changes, meeting.village_id, before=meeting), actor)


def delete_meeting(meeting, actor):
    _require_editor(meeting, actor)
    delete_record(meeting, actor)


def list_statement(filters, actor):
    statement = scope.visible(select(OutreachMeeting), OutreachMeeting, actor)
    if filters.get("village_id"):
        statement = statement.where(OutreachMeeting.village_id == filters["village_id"])
    return statement.order_by(OutreachMeeting.held_on.desc(), OutreachMeeting.id)
