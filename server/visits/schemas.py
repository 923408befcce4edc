from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.choices import (
    HARDSHIP_KINDS,
    REVIEW_STATUS,
    TASK_KINDS,
    TASK_STATUS,
    VISIT_TYPES,
)
from ..common.schemas import (
    Month,
    PageQuerySchema,
    PastDate,
    Schema,
    SyncRecordSchema,
    choice,
    page_schema,
    required_text,
    text,
)

MAX_PHOTOS = 9
REVIEW_DECISIONS = {"approve": "通过", "return": "退回"}


# --- what each of the five home services records beyond the common fields ----------


class MonthlyDetailsSchema(Schema):
    living = text(1000, allow_none=True)
    production = text(1000, allow_none=True)
    health = text(1000, allow_none=True)


class SickDetailsSchema(Schema):
    illness = text(200, allow_none=True)
    hospital = text(100, allow_none=True)
    treatment = text(1000, allow_none=True)
    aid_needed = fields.Boolean(allow_none=True)


class HardshipDetailsSchema(Schema):
    difficulty = choice(HARDSHIP_KINDS, allow_none=True)
    help_pledged = text(1000, allow_none=True)
    helper = text(60, allow_none=True)
    plan = text(1000, allow_none=True)


class GoodNewsDetailsSchema(Schema):
    merit = text(500, allow_none=True)
    award = text(200, allow_none=True)


class MediationDetailsSchema(Schema):
    """A mediation visit's substance is its case (``case_id``); nothing more here."""


VISIT_DETAIL_SCHEMAS = {
    "monthly": MonthlyDetailsSchema(),
    "sick": SickDetailsSchema(),
    "hardship": HardshipDetailsSchema(),
    "good_news": GoodNewsDetailsSchema(),
    "mediation": MediationDetailsSchema(),
}


def _loads_empty(schema):
    try:
        return schema.load({}) == {}
    except ValidationError:
        return False


# Types whose empty details are valid and stored as they are (most visits, the monthly
# ones above all, record none): nothing to validate or clean.
EMPTY_DETAILS_STAND = frozenset(
    name for name, schema in VISIT_DETAIL_SCHEMAS.items() if _loads_empty(schema))


def visit_rule_errors(values):
    """Cross-field rules, checked on a whole visit (a new one, or an old one with changes)."""
    errors = {}
    visit_type = values.get("visit_type")
    details = values.get("details") or {}
    details_schema = VISIT_DETAIL_SCHEMAS.get(visit_type)
    if details_schema is not None and (details or visit_type not in EMPTY_DETAILS_STAND):
        detail_errors = details_schema.validate(details)
        if detail_errors:
            errors["details"] = detail_errors
    if values.get("case_id") is not None and visit_type != "mediation":
        errors["case_id"] = ["只有纠纷调解走访才能关联调解案件"]
    due, visited = values.get("follow_up_due"), values.get("visited_on")
    if due is not None and visited is not None and due < visited:
        errors["follow_up_due"] = ["不能早于走访日期"]
    return errors


def clean_details(visit_type, details):
    """The details as stored: loaded by the visit type's schema (e.g. "true" -> True)."""
    if not details and visit_type in EMPTY_DETAILS_STAND:
        return {}
    return VISIT_DETAIL_SCHEMAS[visit_type].load(details or {})


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy = fields.Float(allow_none=True, validate=validate.Range(min=0))

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        # ``required`` is waived by a partial (PATCH) load, which reaches nested schemas
        missing = {name: ["此项必填"] for name in ("lat", "lng") if name not in data}
        if missing:
            raise ValidationError(missing)


# --- visits ------------------------------------------------------------------------


class VisitSchema(SyncRecordSchema):
    """A visit as lists and the sync wire show it."""

    beneficiary_id = fields.UUID()
    village_id = fields.UUID(dump_only=True)
    liaison_id = fields.Integer(dump_only=True)
    visit_type = fields.String()
    visited_on = fields.Date()
    summary = fields.String()
    needs = fields.String(allow_none=True)
    actions = fields.String(allow_none=True)
    follow_up_due = fields.Date(allow_none=True)
    details = fields.Dict()
    case_id = fields.UUID(allow_none=True)
    photo_ids = fields.List(fields.UUID())
    location = fields.Nested(LocationSchema, allow_none=True)
    review_status = fields.String(dump_only=True)
    review_comment = fields.String(dump_only=True, allow_none=True)
    reviewed_by_id = fields.Integer(dump_only=True, allow_none=True)
    reviewed_at = fields.DateTime(dump_only=True, allow_none=True)


class VisitCreateSchema(SyncRecordSchema):
    """A new visit: only beneficiary, type, date and summary are required.

    Who recorded it, where, and its review are set by the server, never read.
    """

    id = fields.UUID(load_default=None)
    beneficiary_id = fields.UUID(required=True)
    visit_type = choice(VISIT_TYPES, required=True)
    visited_on = PastDate(required=True)
    summary = required_text(4000)
    needs = text(2000, allow_none=True)
    actions = text(2000, allow_none=True)
    follow_up_due = fields.Date(allow_none=True)
    details = fields.Dict(keys=fields.String())
    case_id = fields.UUID(allow_none=True)
    photo_ids = fields.List(
        fields.UUID(), validate=validate.Length(max=MAX_PHOTOS, error="最多 {max} 张照片")
    )
    location = fields.Nested(LocationSchema, allow_none=True)

    @validates_schema
    def _rules(self, data, **kwargs):
        errors = visit_rule_errors(data)
        if errors:
            raise ValidationError(errors)


class VisitUpdateSchema(VisitCreateSchema):
    """Only the fields that change; cross-field rules run on the merged visit."""

    class Meta:
        exclude = ("id",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    @validates_schema
    def _rules(self, data, **kwargs):  # the operation checks the merged visit
        return None


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


class VisitTaskSchema(SyncRecordSchema):
    beneficiary_id = fields.UUID()
    village_id = fields.UUID()
    kind = fields.String()
    period = fields.String()
    due_on = fields.Date()
    status = fields.String()
    source_visit_id = fields.UUID(allow_none=True)
    done_visit_id = fields.UUID(allow_none=True)
    overdue_days = fields.Integer()


class VisitTaskQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    period = Month()
    status = choice(TASK_STATUS)
    kind = choice(TASK_KINDS)


VisitTaskPageSchema = page_schema(VisitTaskSchema)
