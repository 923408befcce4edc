from marshmallow import fields, validate

from ..common.choices import BENEFICIARY_CATEGORIES, BENEFICIARY_STATUS
from ..common.idnumbers import IdNumber as IdNumberValue
from ..common.schemas import (
    PageQuerySchema,
    SyncRecordSchema,
    choice,
    page_schema,
)
from ..records.fields import entity_schemas
from .models import Beneficiary


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


# A beneficiary as lists and the sync wire show it (the ID number masked), a new one
# (checked by the rules above), a change (only the fields that change: the operation
# checks the merged record). Each field is declared once, on its column (models.py).
BeneficiarySchema, BeneficiaryCreateSchema, BeneficiaryUpdateSchema = entity_schemas(
    Beneficiary, name="Beneficiary", rules=beneficiary_rule_errors)


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
