from marshmallow import fields, validate

from ..common.choices import POLICY_CATEGORIES
from ..common.schemas import (
    NotBlank,
    PageQuerySchema,
    QuerySchema,
    Schema,
    choice,
    page_schema,
    required_text,
    text,
)
from ..records.fields import entity_schemas
from .models import OutreachMeeting, Policy

BODY_LIMIT = 20_000

# The wire form (what phones and lists show); phones never write a policy.
PolicySchema, _create, _update = entity_schemas(Policy, name="Policy")


class PolicyStaffSchema(PolicySchema):
    """A policy as staff edit it: the wire form and the Markdown of its latest version."""

    body = fields.String(dump_only=True)
    withdrawn = fields.Function(lambda policy: policy.deleted_at is not None, dump_only=True)


class PolicyWriteSchema(Schema):
    """A new policy, as its author writes it (Markdown: no HTML is passed on)."""

    title = required_text(80)
    category = choice(POLICY_CATEGORIES, required=True)
    summary = required_text(300)
    body = required_text(BODY_LIMIT)
    effective_on = fields.Date(allow_none=True, load_default=None)


def _filled(max_length):
    """Optional in a change, but never emptied."""
    return fields.String(validate=[NotBlank(), validate.Length(max=max_length)])


class PolicyChangeSchema(Schema):
    """A new version: any of the fields; what is left out stays as it was."""

    title = _filled(80)
    category = choice(POLICY_CATEGORIES)
    summary = _filled(300)
    body = _filled(BODY_LIMIT)
    effective_on = fields.Date(allow_none=True)


class PolicyPreviewSchema(Schema):
    body = text(BODY_LIMIT, required=True)


class PolicyPreviewResultSchema(Schema):
    body_html = fields.String()


class PolicyQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=40))
    category = choice(POLICY_CATEGORIES)
    withdrawn = fields.Boolean(load_default=False)


class PublicPolicyQuerySchema(QuerySchema):
    q = fields.String(validate=validate.Length(max=40))
    category = choice(POLICY_CATEGORIES)


class PolicyUploadSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class PolicyEventSchema(Schema):
    version = fields.Integer(allow_none=True)
    at = fields.DateTime()
    action = fields.String()
    action_label = fields.String()
    by = fields.String(allow_none=True)
    changes = fields.Dict(allow_none=True)


PolicyPageSchema = page_schema(PolicyStaffSchema)

# A village meeting as phones and lists show it, a new one, a change (fields declared on
# the columns: server/policies/models.py).
MeetingSchema, MeetingCreateSchema, MeetingUpdateSchema = entity_schemas(
    OutreachMeeting, name="OutreachMeeting")


class MeetingQuerySchema(PageQuerySchema):
    village_id = fields.UUID()


MeetingPageSchema = page_schema(MeetingSchema)
