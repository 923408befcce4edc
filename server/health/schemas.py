from marshmallow import fields

from ..common.choices import HEALTH_EVENT_KINDS
from ..common.schemas import (
    Month,
    PageQuerySchema,
    choice,
    page_schema,
)
from ..records.fields import entity_schemas
from .models import HealthEvent, HealthFile

# A file, as shown and as a phone or form writes it (every field optional; ``id`` is used
# only when the file is created; ``beneficiary_id``, when sent, must be the person the
# file belongs to). Each field is declared once, on its column (server/health/models.py).
HealthFileSchema, HealthFileWriteSchema, _ = entity_schemas(
    HealthFile, name="HealthFile", create_name="HealthFileWriteSchema")

def health_event_rule_errors(values):
    """Cross-field rules, checked on a whole event (a new one, or an old one with changes)."""
    errors = {}
    if values.get("aid_amount_fen") is not None and values.get("kind") != "medical_aid":
        errors["aid_amount_fen"] = ["只有医疗救助才能填写救助金额"]
    return errors


# An event as shown, a new one (checked by the rules above), a change (only the fields
# that change: the operation checks the merged event).
HealthEventSchema, HealthEventCreateSchema, HealthEventUpdateSchema = entity_schemas(
    HealthEvent, name="HealthEvent", rules=health_event_rule_errors)


class HealthEventQuerySchema(PageQuerySchema):
    beneficiary_id = fields.UUID()
    village_id = fields.UUID()
    township_id = fields.UUID()
    kind = choice(HEALTH_EVENT_KINDS)
    month = Month()


HealthEventPageSchema = page_schema(HealthEventSchema)
