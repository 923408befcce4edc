"""The beneficiary as phones hold it (server/records/entities.py)."""

from ..records.entities import Entity, declare
from . import identity, operations
from .models import Beneficiary
from .schemas import BeneficiaryCreateSchema, BeneficiarySchema, BeneficiaryUpdateSchema


def _create(values, actor):
    # looked up when called: a test stands in a failing operation for it
    return operations.create_beneficiary(values, actor)


BENEFICIARY = declare(Entity(
    "beneficiary", Beneficiary, BeneficiarySchema(), BeneficiaryCreateSchema,
    BeneficiaryUpdateSchema, _create, operations.update_beneficiary,
    operations.delete_beneficiary,
    # the number is stored encrypted, with a lookup hash that changes with it; sync
    # compares, keeps and applies it without opening it for anyone
    stored_as={"id_number": "id_number_hash"}, secrets={"id_number": identity.IN_SYNC},
))
