"""A policy as a visit or a village meeting records it."""

from marshmallow import fields, validate

from ..common.schemas import Schema, text

MAX_EXPLAINED = 20


class ExplainedPolicySchema(Schema):
    """A policy explained: its id and the title the liaison saw, kept as it was although
    the policy is later revised or withdrawn."""

    id = fields.UUID(required=True)
    title = text(80, required=True)


def explained_field(*, least=0):
    """The field of the policies explained (``policies_explained``) on a record."""
    message = ("请选择讲解的政策（1 至 {max} 条）" if least else "最多 {max} 条政策")
    return fields.List(fields.Nested(ExplainedPolicySchema), required=bool(least),
                       validate=validate.Length(min=least, max=MAX_EXPLAINED, error=message))
