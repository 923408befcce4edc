"""The entities phones hold, and how each is validated, changed and shown on the wire.

Sync mutations go through the same schemas and operations as the REST API:
this table only says which ones.
"""

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import scope
from ..errors import ValidationFailed


@dataclass(frozen=True)
class Entity:
    name: str
    model: Any
    dump: Any  # schema instance for the wire
    create_schema: Any = None  # schema class
    update_schema: Any = None
    create: Any = None  # (values, actor) -> record
    update: Any = None  # (record, changes, actor) -> changed fields
    delete: Any = None  # (record, actor)
    # fields a phone may send with a record but the server sets itself
    server_fields: tuple = ()
    # parent references: sent with a new record, never changed afterwards
    immutable: tuple = ()
    value_of: Any = None  # (record, field) -> comparable value; default getattr
    visible: Any = field(default=None)  # (record, user) -> bool
    # wire fields kept in other columns: {wire field: the column whose version and audit
    # entries tell when it last changed}
    stored_as: dict = field(default_factory=dict)
    # many creates at once: (list of values, actor) -> per item the record or the
    # ApiError that refused it; nothing is written for a refused item
    create_many: Any = None
    # (records) -> what their dump reads besides them, loaded at once; keep it meanwhile
    preload: Any = None

    @property
    def writable(self):
        return self.create is not None

    def create_loader(self):
        return _schema(self.create_schema)

    def update_loader(self):
        return _schema(self.update_schema)

    def current(self, record, name):
        return self.value_of(record, name) if self.value_of else getattr(record, name)

    def column_of(self, name):
        return self.stored_as.get(name, name)

    def field_version(self, record, name):
        """The version that last changed wire field ``name``."""
        return (record.field_versions or {}).get(self.column_of(name), 1)

    def can_see(self, record, user):
        if self.visible is not None:
            return self.visible(record, user)
        return scope.in_scope(record.village_id, user)


@cache
def _schema(schema_class):
    """One instance per schema class: building a marshmallow schema copies every field,
    which cost more than loading a mutation with it."""
    return schema_class()


def _beneficiary():
    from ..beneficiaries import operations
    from ..beneficiaries.models import Beneficiary
    from ..beneficiaries.schemas import (
        BeneficiaryCreateSchema,
        BeneficiarySchema,
        BeneficiaryUpdateSchema,
    )

    def value_of(record, name):
        if name == "id_number":
            return operations.reveal_id_number(record, actor=None)
        return getattr(record, name)

    def create(values, actor):
        return operations.create_beneficiary(values, actor)

    return Entity(
        "beneficiary", Beneficiary, BeneficiarySchema(), BeneficiaryCreateSchema,
        BeneficiaryUpdateSchema, create, operations.update_beneficiary,
        operations.delete_beneficiary, value_of=value_of,
        # the number is stored encrypted, with a lookup hash that changes with it
        stored_as={"id_number": "id_number_hash"},
    )


def _region():
    from ..regions.models import Region
    from ..regions.schemas import RegionSchema

    return Entity("region", Region, RegionSchema(),
                  visible=lambda record, user: record.id in scope.region_scope(user))


def _notification():
    from ..notifications.models import Notification
    from ..notifications.operations import mark_read
    from ..notifications.schemas import NotificationSchema, NotificationUpdateSchema

    return Entity("notification", Notification, NotificationSchema(),
                  update_schema=NotificationUpdateSchema, update=mark_read,
                  visible=lambda record, user: record.user_id == user.id)


def _health_file():
    from ..beneficiaries.models import Beneficiary
    from ..health import operations
    from ..health.models import HealthFile
    from ..health.schemas import HealthFileSchema, HealthFileWriteSchema

    def create(values, actor):
        beneficiary = scope.require_reference(
            Beneficiary, values.get("beneficiary_id"), actor, "beneficiary_id", scope.OUT_OF_SCOPE)
        if operations.find_health_file(beneficiary) is not None:
            raise ValidationFailed({"beneficiary_id": ["该优抚对象已有健康档案，请同步后再修改"]})
        return operations.create_health_file(beneficiary, values, actor)

    def update(record, changes, actor):
        scope.require(record, actor)
        changes = {k: v for k, v in changes.items() if k != "id"}
        if changes.get("beneficiary_id", record.beneficiary_id) != record.beneficiary_id:
            raise ValidationFailed({"beneficiary_id": ["不能更改记录所属的优抚对象"]})
        return operations.update_health_file(record, changes, actor)

    return Entity("health_file", HealthFile, HealthFileSchema(), HealthFileWriteSchema,
                  HealthFileWriteSchema, create, update)


def _health_event():
    from ..health import operations
    from ..health.models import HealthEvent
    from ..health.schemas import (
        HealthEventCreateSchema,
        HealthEventSchema,
        HealthEventUpdateSchema,
    )

    return Entity("health_event", HealthEvent, HealthEventSchema(), HealthEventCreateSchema,
                  HealthEventUpdateSchema, operations.create_health_event,
                  operations.update_health_event, operations.delete_health_event)


def _visit():
    from ..visits import operations
    from ..visits.models import Visit
    from ..visits.schemas import VisitCreateSchema, VisitSchema, VisitUpdateSchema

    return Entity("visit", Visit, VisitSchema(), VisitCreateSchema, VisitUpdateSchema,
                  operations.create_visit, operations.update_visit, operations.delete_visit,
                  server_fields=("liaison_id", "village_id", "review_status", "review_comment",
                                 "reviewed_at", "reviewed_by_id"),
                  create_many=operations.create_visits)


def _visit_task():
    from ..visits.models import VisitTask
    from ..visits.schemas import VisitTaskSchema

    return Entity("visit_task", VisitTask, VisitTaskSchema())


def _mediation_case():
    from ..mediation import operations
    from ..mediation.models import MediationCase
    from ..mediation.schemas import (
        MediationCaseCreateSchema,
        MediationCaseSchema,
        MediationCaseUpdateSchema,
    )

    return Entity("mediation_case", MediationCase, MediationCaseSchema(),
                  MediationCaseCreateSchema, MediationCaseUpdateSchema, operations.create_case,
                  operations.update_case, operations.delete_case,
                  server_fields=("village_id", "closed_on"), immutable=("beneficiary_id",))


def _mediation_session():
    from ..mediation import operations
    from ..mediation.models import MediationSession
    from ..mediation.schemas import (
        MediationSessionCreateSchema,
        MediationSessionSchema,
        MediationSessionUpdateSchema,
    )

    return Entity("mediation_session", MediationSession, MediationSessionSchema(),
                  MediationSessionCreateSchema, MediationSessionUpdateSchema,
                  operations.create_session, operations.update_session,
                  operations.delete_session, server_fields=("village_id",),
                  immutable=("case_id",))


def _contact_card():
    from ..contacts import operations
    from ..contacts.models import ContactCard
    from ..contacts.schemas import (
        ContactCardCreateSchema,
        ContactCardSchema,
        ContactCardUpdateSchema,
    )

    return Entity("contact_card", ContactCard, ContactCardSchema(), ContactCardCreateSchema,
                  ContactCardUpdateSchema, operations.create_card, operations.update_card,
                  operations.delete_card, server_fields=("village_id", "beneficiary_name"),
                  immutable=("beneficiary_id",), preload=operations.load_beneficiaries)


def _contact_log():
    from ..contacts import operations
    from ..contacts.models import ContactLog
    from ..contacts.schemas import ContactLogCreateSchema, ContactLogSchema, ContactLogUpdateSchema

    return Entity("contact_log", ContactLog, ContactLogSchema(), ContactLogCreateSchema,
                  ContactLogUpdateSchema, operations.create_log, operations.update_log,
                  operations.delete_log, server_fields=("village_id",), immutable=("card_id",))


_BUILDERS = [
    _region, _beneficiary, _health_file, _health_event, _visit, _visit_task, _mediation_case,
    _mediation_session, _contact_card, _contact_log, _notification,
]
_registry = {}


def registry():
    if not _registry:
        for builder in _BUILDERS:
            entity = builder()
            _registry[entity.name] = entity
    return _registry
