from marshmallow import fields, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.choices import REVIEW_STATUS, TASK_KINDS, TASK_STATUS, VISIT_TYPES
from ..common.schemas import Month, PageQuerySchema, Schema, choice, page_schema, text
from ..records.fields import entity_schemas
from .models import Visit, VisitTask
from .values import visit_rule_errors

REVIEW_DECISIONS = {"approve": "通过", "return": "退回"}

# A visit as lists and the sync wire show it; a new one (only beneficiary, type, date and
# summary are required; who recorded it, where, and its review are the server's); a
# change (only the fields that change: the operation checks the merged visit). Each
# field is declared once, on its column (server/visits/models.py).
VisitSchema, VisitCreateSchema, VisitUpdateSchema = entity_schemas(
    Visit, name="Visit", rules=visit_rule_errors)

# Visit tasks are read-only: the scheduler makes them, monthly visits close them.
VisitTaskSchema, _, _ = entity_schemas(VisitTask, name="VisitTask")


class VisitReviewSchema(Schema):
    decision = choice(REVIEW_DECISIONS, required=True)
    comment = text(1000, allow_none=True)

    @validates_schema
    def _comment_for_return(self, data, **kwargs):
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            raise ValidationError({"comment": ["退回时须填写意见"]})


class VisitQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    beneficiary_id = fields.UUID()
    liaison_id = fields.Integer()
    month = Month()
    visit_type = choice(VISIT_TYPES)
    review_status = choice(REVIEW_STATUS)


VisitPageSchema = page_schema(VisitSchema)


# --- visit tasks (read-only: the scheduler makes them, monthly visits close them) ---


class VisitTaskQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    period = Month()
    status = choice(TASK_STATUS)
    kind = choice(TASK_KINDS)


VisitTaskPageSchema = page_schema(VisitTaskSchema)
