from marshmallow import fields

from ..common.choices import MEDIATION_KINDS, MEDIATION_STATUS
from ..common.schemas import (
    PageQuerySchema,
    choice,
    page_schema,
)
from ..records.fields import entity_schemas
from .models import MediationCase, MediationSession

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


# A case as shown, a new one (village_id follows the beneficiary and closed_on the
# status: neither is input), a change (only the fields that change; the rules run on the
# merged case in the operation). Each field is declared on its column (models.py).
MediationCaseSchema, MediationCaseCreateSchema, MediationCaseUpdateSchema = entity_schemas(
    MediationCase, name="MediationCase", rules=case_rule_errors)


class MediationCaseQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    beneficiary_id = fields.UUID()
    kind = choice(MEDIATION_KINDS)
    status = choice(MEDIATION_STATUS)


MediationSessionSchema, MediationSessionCreateSchema, MediationSessionUpdateSchema = (
    entity_schemas(MediationSession, name="MediationSession"))


class MediationSessionBodySchema(MediationSessionCreateSchema):
    """A new session as the REST path takes it: the case is named in the URL."""

    class Meta:
        exclude = ("case_id",)


MediationCasePageSchema = page_schema(MediationCaseSchema)
