from marshmallow import fields, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.choices import HEALTH_EVENT_KINDS, INSURANCE
from ..common.schemas import (
    Fen,
    Month,
    PageQuerySchema,
    PastDate,
    SyncRecordSchema,
    choice,
    page_schema,
    text,
)


class HealthFileSchema(SyncRecordSchema):
    beneficiary_id = fields.UUID()
    village_id = fields.UUID(dump_only=True)
    conditions = fields.String(allow_none=True)
    disability = fields.String(allow_none=True)
    insurance = fields.String(allow_none=True)
    family_doctor = fields.String(allow_none=True)
    medications = fields.String(allow_none=True)
    last_checkup = fields.Date(allow_none=True)


class HealthFileWriteSchema(SyncRecordSchema):
    """What a phone may send about a health file; every field is optional.

    ``id`` is used only when the file is created; ``beneficiary_id``, when sent,
    must be the person the file belongs to.
    """

    id = fields.UUID(load_default=None)
    beneficiary_id = fields.UUID()
    conditions = text(1000, allow_none=True)
    disability = text(200, allow_none=True)
    insurance = choice(INSURANCE, allow_none=True)
    family_doctor = text(60, allow_none=True)
    medications = text(1000, allow_none=True)
    last_checkup = PastDate(allow_none=True)


def health_event_rule_errors(values):
    """Cross-field rules, checked on a whole event (a new one, or an old one with changes)."""
    errors = {}
    if values.get("aid_amount_fen") is not None and values.get("kind") != "medical_aid":
        errors["aid_amount_fen"] = ["只有医疗救助才能填写救助金额"]
    return errors


class HealthEventSchema(SyncRecordSchema):
    beneficiary_id = fields.UUID()
    village_id = fields.UUID(dump_only=True)
    kind = fields.String()
    occurred_on = fields.Date()
    description = fields.String(allow_none=True)
    hospital = fields.String(allow_none=True)
    aid_amount_fen = fields.Integer(allow_none=True)


class HealthEventCreateSchema(SyncRecordSchema):
    id = fields.UUID(load_default=None)
    beneficiary_id = fields.UUID(required=True)
    kind = choice(HEALTH_EVENT_KINDS, required=True)
    occurred_on = PastDate(required=True)
    description = text(2000, allow_none=True)
    hospital = text(100, allow_none=True)
    aid_amount_fen = Fen(allow_none=True)

    @validates_schema
    def _rules(self, data, **kwargs):
        errors = health_event_rule_errors(data)
        if errors:
            raise ValidationError(errors)


class HealthEventUpdateSchema(HealthEventCreateSchema):
    """Only the fields that change; cross-field rules run on the merged event."""

    class Meta:
        exclude = ("id",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    @validates_schema
    def _rules(self, data, **kwargs):  # the operation checks the merged event
        return None


class HealthEventQuerySchema(PageQuerySchema):
    beneficiary_id = fields.UUID()
    village_id = fields.UUID()
    township_id = fields.UUID()
    kind = choice(HEALTH_EVENT_KINDS)
    month = Month()


HealthEventPageSchema = page_schema(HealthEventSchema)
