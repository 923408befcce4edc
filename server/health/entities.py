"""Health files and events as phones hold them (server/records/entities.py)."""

from ..records.entities import Entity, declare
from . import operations
from .models import HealthEvent, HealthFile
from .schemas import (
    HealthEventCreateSchema,
    HealthEventSchema,
    HealthEventUpdateSchema,
    HealthFileSchema,
    HealthFileWriteSchema,
)

HEALTH_FILE = declare(Entity(
    "health_file", HealthFile, HealthFileSchema(), HealthFileWriteSchema, HealthFileWriteSchema,
    operations.add_health_file, operations.edit_health_file,
    follows=("beneficiary", "beneficiary_id"),
))

HEALTH_EVENT = declare(Entity(
    "health_event", HealthEvent, HealthEventSchema(), HealthEventCreateSchema,
    HealthEventUpdateSchema, operations.create_health_event, operations.update_health_event,
    operations.delete_health_event, follows=("beneficiary", "beneficiary_id"),
))
