"""Opinions a liaison collected, as phones hold them (server/records/entities.py).

A migrant's feedback is never on a phone; the opinion is, with the feedback's status
and reply mirrored onto it, so the liaison can carry the reply to the villager.
"""

from ..records.entities import Entity, declare
from . import opinions
from .models import Opinion
from .schemas import OpinionCreateSchema, OpinionSchema, OpinionUpdateSchema

OPINION = declare(Entity(
    "opinion", Opinion, OpinionSchema(), OpinionCreateSchema, OpinionUpdateSchema,
    opinions.create_opinion, opinions.update_opinion,
))
