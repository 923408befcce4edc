"""Mediation cases and their sessions as phones hold them (server/records/entities.py)."""

from ..records.entities import Entity, declare
from . import operations
from .models import MediationCase, MediationSession
from .schemas import (
    MediationCaseCreateSchema,
    MediationCaseSchema,
    MediationCaseUpdateSchema,
    MediationSessionCreateSchema,
    MediationSessionSchema,
    MediationSessionUpdateSchema,
)

MEDIATION_CASE = declare(Entity(
    "mediation_case", MediationCase, MediationCaseSchema(), MediationCaseCreateSchema,
    MediationCaseUpdateSchema, operations.create_case, operations.update_case,
    operations.delete_case, follows=("beneficiary", "beneficiary_id"),
))

MEDIATION_SESSION = declare(Entity(
    "mediation_session", MediationSession, MediationSessionSchema(),
    MediationSessionCreateSchema, MediationSessionUpdateSchema, operations.create_session,
    operations.update_session, operations.delete_session, follows=("mediation_case", "case_id"),
))
