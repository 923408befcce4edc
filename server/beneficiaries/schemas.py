from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from ..common.choices import BENEFICIARY_CATEGORIES, BENEFICIARY_STATUS, SEX
from ..common.idnumbers import IdNumber as IdNumberValue
from ..common.schemas import (
    IdNumber,
    PageQuerySchema,
    PastDate,
    PhoneNumber,
    SyncRecordSchema,
    choice,
    page_schema,
    required_text,
    text,
)


def beneficiary_rule_errors(values):
    """Cross-field rules, checked on a whole record (a new one, or an old one with changes).
    The birth date and sex are checked against ``values``' ID number when it has one (a
    stored record's own: server/beneficiaries/identity.py :func:`stored_number_errors`)."""
    errors = {}
    grade = values.get("disability_grade")
    if values.get("category") == "disabled_serviceman" and grade is None:
        errors["disability_grade"] = ["伤残军人须填写伤残等级"]
    elif values.get("category") != "disabled_serviceman" and grade is not None:
        errors["disability_grade"] = ["只有伤残军人才有伤残等级"]
    if values.get("id_number"):
        errors.update(id_number_errors(IdNumberValue(values["id_number"]), values))
    if values.get("is_migrant") and not values.get("work_city"):
        errors["work_city"] = ["外出务工人员须填写务工城市"]
    return errors


def id_number_errors(number, values):
    """Where ``values``' birth date and sex disagree with ``number`` (an IdNumber)."""
    errors = {}
    if values.get("birth_date") and values["birth_date"] != number.birth_date:
        errors["birth_date"] = ["与身份证号中的出生日期不一致"]
    if values.get("sex") and values["sex"] != number.sex:
        errors["sex"] = ["与身份证号中的性别不一致"]
    return errors


class BeneficiarySchema(SyncRecordSchema):
    """A beneficiary as lists and the sync wire show it: the ID number is masked."""

    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date(allow_none=True)
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String(allow_none=True)
    village_id = fields.UUID()
    address = fields.String(allow_none=True)
    category = fields.String()
    disability_grade = fields.Integer(allow_none=True)
    is_five_elders = fields.Boolean()
    status = fields.String()
    is_migrant = fields.Boolean()
    work_city = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class BeneficiaryCreateSchema(SyncRecordSchema):
    id = fields.UUID(load_default=None)
    name = required_text(40)
    sex = choice(SEX)
    birth_date = PastDate(allow_none=True)
    id_number = IdNumber(required=True)
    phone = PhoneNumber(allow_none=True)
    village_id = fields.UUID(required=True)
    address = text(200, allow_none=True)
    category = choice(BENEFICIARY_CATEGORIES, required=True)
    disability_grade = fields.Integer(validate=validate.Range(1, 10), allow_none=True)
    is_five_elders = fields.Boolean()
    status = choice(BENEFICIARY_STATUS)
    is_migrant = fields.Boolean()
    work_city = text(60, allow_none=True)
    notes = text(2000, allow_none=True)

    @validates_schema
    def _rules(self, data, **kwargs):
        errors = beneficiary_rule_errors(data)
        if errors:
            raise ValidationError(errors)


class BeneficiaryUpdateSchema(BeneficiaryCreateSchema):
    """Only the fields that change; cross-field rules run on the merged record."""

    class Meta:
        exclude = ("id",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    @validates_schema
    def _rules(self, data, **kwargs):  # the operation checks the merged record
        return None


class BeneficiaryQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    category = choice(BENEFICIARY_CATEGORIES)
    status = choice(BENEFICIARY_STATUS)
    is_migrant = fields.Boolean()
    q = fields.String(validate=validate.Length(max=40))


class IdNumberSchema(SyncRecordSchema):
    id_number = fields.String()


BeneficiaryPageSchema = page_schema(BeneficiarySchema)
