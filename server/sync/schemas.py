"""The push and pull envelopes of SYNC.md."""

from marshmallow import fields, validate

from ..common.schemas import QuerySchema, Schema
from .entities import registry
from .protect import open_conflict_fields

MAX_MUTATIONS = 500
MAX_PUSH_BYTES = 5 * 1024 * 1024


class MutationSchema(Schema):
    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    entity = fields.String(required=True, validate=validate.Length(min=1, max=30))
    op = fields.String(required=True, validate=validate.OneOf(["upsert", "delete"]))
    record_id = fields.UUID(required=True)
    base_version = fields.Integer(strict=True, allow_none=True, load_default=None,
                                  validate=validate.Range(min=1))
    data = fields.Dict(load_default=dict)  # JSON keys are strings: nothing to check per key
    # The device's clock, for people reading logs only: never used, so never a reason to
    # refuse a push (a refused envelope would block the phone's queue for good).
    client_time = fields.Raw(allow_none=True)


class PushSchema(Schema):
    client_id = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.:-]{8,64}$", error="客户端编号应为 8-64 位字母、数字或 - _ . :"))
    schema_version = fields.Integer(strict=True, load_default=1)
    app_version = fields.String(load_default=None, validate=validate.Length(max=30))
    outbox_size = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    mutations = fields.List(fields.Nested(MutationSchema), required=True)


class PushResultSchema(Schema):
    last_mutation_id = fields.Integer()
    results = fields.List(fields.Dict())


class PullResultSchema(Schema):
    """One page of a pull (SYNC.md); each change is an upsert with the record or a delete."""

    changes = fields.List(fields.Dict())
    cursor = fields.String()
    has_more = fields.Boolean()
    reset = fields.Boolean()
    last_mutation_id = fields.Integer()


class PullQuerySchema(QuerySchema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=20000))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))


class ConflictSchema(Schema):
    id = fields.UUID()
    entity = fields.String()
    record_id = fields.UUID()
    village_id = fields.UUID()
    client_id = fields.String()
    user_id = fields.Integer()
    base_version = fields.Integer()
    server_version = fields.Integer()
    fields_ = fields.Method("_open_fields", data_key="fields")
    created_at = fields.DateTime()
    resolved_at = fields.DateTime()
    resolution = fields.Dict()


    def _open_fields(self, conflict):
        return open_conflict_fields(conflict.fields, registry().get(conflict.entity))


class ConflictSecretsSchema(Schema):
    """The clashing values a conflict listing hides (a full ID number), for the
    officer resolving it: {field: {"mine": …, "server": …}}."""

    id = fields.UUID()
    fields_ = fields.Dict(data_key="fields", attribute="fields", keys=fields.String(),
                          values=fields.Dict(keys=fields.String(), values=fields.Raw()))


class ConflictQuerySchema(QuerySchema):
    resolved = fields.Boolean(load_default=False)
    village_id = fields.UUID()


class ResolveSchema(Schema):
    # field -> "mine" (the phone's value) or "server" (keep what the server has)
    choices = fields.Dict(keys=fields.String(), values=fields.String(
        validate=validate.OneOf(["mine", "server"])), required=True)


class DeviceSchema(Schema):
    client_id = fields.String(attribute="id")
    user_id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    region_name = fields.String()
    app_version = fields.String()
    outbox_size = fields.Integer()
    last_push_at = fields.DateTime()
    last_pull_at = fields.DateTime()


class DeviceQuerySchema(QuerySchema):
    stale_days = fields.Integer(load_default=3, validate=validate.Range(min=0, max=3650))
    unsent_only = fields.Boolean(load_default=True)
