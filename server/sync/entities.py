"""The entities phones hold: every domain's declaration (server/records/entities.py),
registered with sync in the order pulls and the PWA's entity map list them.

The app imports this module as it starts (server/__init__.py), so the change log
and sync see every declaration.
"""

from ..beneficiaries.entities import BENEFICIARY
from ..contacts.entities import CONTACT_CARD, CONTACT_LOG
from ..feedback.entities import OPINION
from ..health.entities import HEALTH_EVENT, HEALTH_FILE
from ..mediation.entities import MEDIATION_CASE, MEDIATION_SESSION
from ..notifications.entities import NOTIFICATION
from ..policies.entities import OUTREACH_MEETING, POLICY
from ..records import entities as declarations
from ..regions.entities import REGION
from ..visits.entities import VISIT, VISIT_TASK

ENTITIES = (REGION, BENEFICIARY, HEALTH_FILE, HEALTH_EVENT, VISIT, VISIT_TASK, MEDIATION_CASE,
            MEDIATION_SESSION, CONTACT_CARD, CONTACT_LOG, NOTIFICATION, POLICY,
            OUTREACH_MEETING, OPINION)

_ordered = {entity.name: entity for entity in ENTITIES}
if _ordered.keys() != declarations.registry().keys():
    raise RuntimeError("every declared entity must be listed in server/sync/entities.py")


def registry():
    """{name: Entity} of every entity phones hold, in wire order."""
    return _ordered
