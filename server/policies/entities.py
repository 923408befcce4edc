"""The policy library as phones hold it: read-only, the same for everyone in the county."""

from ..records.entities import COUNTY, Entity, declare
from .models import Policy
from .schemas import PolicySchema

POLICY = declare(Entity("policy", Policy, PolicySchema(), audience=COUNTY))
