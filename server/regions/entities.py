"""The region tree as phones hold it (server/records/entities.py): read-only."""

from ..records.entities import REGIONS, Entity, declare
from .models import Region
from .schemas import RegionSchema

REGION = declare(Entity("region", Region, RegionSchema(), audience=REGIONS))
