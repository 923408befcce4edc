"""The shapes inside a visit: what each of the five home services records beyond the
common fields (``details``), where it happened (``location``), and the rules a whole
visit is checked by. The visit's columns (server/visits/models.py) load their values
with these; the schemas derive from the columns."""

from flask import current_app
from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.choices import HARDSHIP_KINDS
from ..common.schemas import Schema, choice, text

MAX_PHOTOS = 9
CASE_REQUIRED = "纠纷上门调解须选择或新建调解案件"


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
    elif visit_type == "mediation" and values.get("case_id") is None:
        # a mediation visit is a step of its case: without one it is counted nowhere
        errors["case_id"] = [CASE_REQUIRED]
    services = service_errors(values.get("services"))
    if services:
        errors["services"] = services
    due, visited = values.get("follow_up_due"), values.get("visited_on")
    if due is not None and visited is not None and due < visited:
        errors["follow_up_due"] = ["不能早于走访日期"]
    return errors


def clean_details(visit_type, details):
    """The details as stored: loaded by the visit type's schema (e.g. "true" -> True)."""
    if not details and visit_type in EMPTY_DETAILS_STAND:
        return {}
    return VISIT_DETAIL_SCHEMAS[visit_type].load(details or {})


MAX_SERVICES = 10


def service_errors(codes):
    """Messages for 便民服务 codes not in the county's list (LIANXIN_SERVICES)."""
    known = {service["code"] for service in current_app.config["LIANXIN_SERVICES"]}
    unknown = [code for code in codes or () if code not in known]
    if unknown:
        return ["没有这项便民服务：" + "、".join(unknown)]
    if len(set(codes or ())) != len(codes or ()):
        return ["同一项便民服务只能选一次"]
    return []


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
