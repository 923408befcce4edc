"""The beneficiary as phones hold it (server/records/entities.py)."""

from ..records.entities import Entity, declare
from . import operations
from .models import Beneficiary
from .schemas import BeneficiaryCreateSchema, BeneficiarySchema, BeneficiaryUpdateSchema


def _value_of(record, name, actor):
    if name == "id_number":
        return operations.reveal_id_number(record, actor=None)
    return getattr(record, name)


def _create(values, actor):
    # looked up when called: a test stands in a failing operation for it
    return operations.create_beneficiary(values, actor)


BENEFICIARY = declare(Entity(
    "beneficiary", Beneficiary, BeneficiarySchema(), BeneficiaryCreateSchema,
    BeneficiaryUpdateSchema, _create, operations.update_beneficiary,
    operations.delete_beneficiary, value_of=_value_of,
    # the number is stored encrypted, with a lookup hash that changes with it
    stored_as={"id_number": "id_number_hash"},
))
