"""连心卡 and their contact logs as phones hold them (server/records/entities.py)."""

from ..records.entities import Entity, declare
from . import operations
from .models import ContactCard, ContactLog
from .schemas import (
    ContactCardCreateSchema,
    ContactCardSchema,
    ContactCardUpdateSchema,
    ContactLogCreateSchema,
    ContactLogSchema,
    ContactLogUpdateSchema,
)

CONTACT_CARD = declare(Entity(
    "contact_card", ContactCard, ContactCardSchema(), ContactCardCreateSchema,
    ContactCardUpdateSchema, operations.create_card, operations.update_card,
    operations.delete_card, follows=("beneficiary", "beneficiary_id"),
    preload=operations.load_beneficiaries,
))

CONTACT_LOG = declare(Entity(
    "contact_log", ContactLog, ContactLogSchema(), ContactLogCreateSchema,
    ContactLogUpdateSchema, operations.create_log, operations.update_log,
    operations.delete_log,
    follows=("contact_card", "card_id"),
))
