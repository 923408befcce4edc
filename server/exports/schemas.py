from marshmallow import fields, validate

from ..common.choices import (
    HEALTH_EVENT_KINDS,
    MEDIATION_KINDS,
    MEDIATION_STATUS,
    REVIEW_STATUS,
    VISIT_TYPES,
)
from ..common.schemas import Month, Schema, choice
from .ledgers import LEDGERS

KINDS = {
    "visits": "走访台账",
    "health_events": "健康事件台账",
    "mediation_cases": "纠纷调解台账",
    "contacts": "连心卡联系台账",
    "not_visited": "未访人员名单",
}
assert set(KINDS) == set(LEDGERS)


class ExportCreateSchema(Schema):
    """Which ledger, narrowed like the lists; ``full_ids`` needs a fresh login
    (``POST /api/v1/auth/fresh``) and is audited."""

    kind = choice(KINDS, required=True)
    township_id = fields.UUID(allow_none=True)
    village_id = fields.UUID(allow_none=True)
    month = Month(allow_none=True, metadata={
        "description": "visits: visited; health events: occurred; cases: opened; "
                       "not visited: due that month, this month when omitted "
                       "(the contact register ignores it)"})
    visit_type = choice(VISIT_TYPES, allow_none=True)
    review_status = choice(REVIEW_STATUS, allow_none=True)
    kind_filter = fields.String(allow_none=True, data_key="event_kind",
                                validate=validate.OneOf(list(HEALTH_EVENT_KINDS)))
    status = choice(MEDIATION_STATUS, allow_none=True)
    case_kind = choice(MEDIATION_KINDS, allow_none=True)
    full_ids = fields.Boolean(load_default=False)


class ExportJobSchema(Schema):
    job_id = fields.UUID(attribute="id")
    kind = fields.String()
    filters = fields.Dict()
    full_ids = fields.Boolean()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Float(metadata={"description": "0 … 1"})
    rows = fields.Integer(metadata={"description": "rows written so far"})
    rows_total = fields.Integer(allow_none=True)
    file_name = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
