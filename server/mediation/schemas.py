from marshmallow import fields, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.choices import MEDIATION_KINDS, MEDIATION_STATUS
from ..common.schemas import (
    PageQuerySchema,
    PastDate,
    SyncRecordSchema,
    choice,
    page_schema,
    required_text,
    text,
)

CLOSED_STATUSES = ("resolved", "referred")
# A case only moves forward; resolved and referred are both final.
STATUS_STEP = {"open": 0, "mediating": 1, "resolved": 2, "referred": 2}


def case_rule_errors(values):
    """Cross-field rules, checked on a whole case (a new one, or an old one with changes)."""
    errors = {}
    status = values.get("status") or "open"
    if status in CLOSED_STATUSES and not (values.get("outcome") or "").strip():
        errors["outcome"] = ["已调解或已移交的纠纷须填写结果"]
    if status == "referred" and not (values.get("referred_to") or "").strip():
        errors["referred_to"] = ["移交的纠纷须填写移交单位（如法院、维权办）"]
    elif status != "referred" and values.get("referred_to"):
        errors["referred_to"] = ["只有移交的纠纷才填写移交单位"]
    return errors


def status_change_error(old, new):
    """Why a case may not go from ``old`` to ``new``, or None when it may."""
    if old == new:
        return None
    if old in CLOSED_STATUSES:
        return "已调解或已移交的纠纷不能再更改状态"
    if STATUS_STEP[new] < STATUS_STEP[old]:
        return "调解中的纠纷不能退回已受理"
    return None


class MediationCaseSchema(SyncRecordSchema):
    beneficiary_id = fields.UUID()
    village_id = fields.UUID()
    kind = fields.String()
    parties = fields.String()
    description = fields.String(allow_none=True)
    opened_on = fields.Date()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    referred_to = fields.String(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class MediationCaseCreateSchema(SyncRecordSchema):
    """village_id follows the beneficiary and closed_on the status: neither is input."""

    id = fields.UUID(load_default=None)
    beneficiary_id = fields.UUID(required=True)
    kind = choice(MEDIATION_KINDS, required=True)
    parties = required_text(500)
    description = text(4000, allow_none=True)
    opened_on = PastDate()
    status = choice(MEDIATION_STATUS)
    outcome = text(2000, allow_none=True)
    referred_to = text(60, allow_none=True)

    @validates_schema
    def _rules(self, data, **kwargs):
        errors = case_rule_errors(data)
        if errors:
            raise ValidationError(errors)


class MediationCaseUpdateSchema(MediationCaseCreateSchema):
    """Only the fields that change; rules run on the merged case in the operation."""

    class Meta:
        exclude = ("id", "beneficiary_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    @validates_schema
    def _rules(self, data, **kwargs):  # the operation checks the merged record
        return None


class MediationCaseQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    beneficiary_id = fields.UUID()
    kind = choice(MEDIATION_KINDS)
    status = choice(MEDIATION_STATUS)


class MediationSessionSchema(SyncRecordSchema):
    case_id = fields.UUID()
    village_id = fields.UUID()
    held_on = fields.Date()
    notes = fields.String()


class MediationSessionCreateSchema(SyncRecordSchema):
    id = fields.UUID(load_default=None)
    case_id = fields.UUID(required=True)
    held_on = PastDate(required=True)
    notes = required_text(4000)


class MediationSessionBodySchema(MediationSessionCreateSchema):
    """A new session as the REST path takes it: the case is named in the URL."""

    class Meta:
        exclude = ("case_id",)


class MediationSessionUpdateSchema(MediationSessionCreateSchema):
    class Meta:
        exclude = ("id", "case_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


MediationCasePageSchema = page_schema(MediationCaseSchema)
