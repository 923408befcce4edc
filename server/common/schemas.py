"""Marshmallow base schema and field helpers, with every message in Chinese.

Marshmallow has no locale switch; its messages are class attributes, so they
are set here once, for the whole server. Every schema in the project derives
from :class:`Schema`.
"""

import re

import marshmallow
from marshmallow import EXCLUDE, RAISE, ValidationError, fields, validate, validates_schema

from . import idnumbers
from .timeutil import county_today
from .validators import normalize_phone, phone_problem

_FIELD_MESSAGES = {
    fields.Field: {
        "required": "此项必填",
        "null": "此项不能为空",
        "validator_failed": "取值无效",
    },
    fields.String: {"invalid": "应为文字", "invalid_utf8": "文字编码无效"},
    fields.Integer: {"invalid": "应为整数", "too_large": "数值过大"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Float: {"special": "应为有效数字"},
    fields.Boolean: {"invalid": "应为是或否"},
    fields.Date: {"invalid": "日期格式应为 YYYY-MM-DD", "format": "日期无法格式化"},
    fields.DateTime: {"invalid": "时间格式无效", "format": "时间无法格式化"},
    fields.UUID: {"invalid_uuid": "编号格式无效"},
    fields.List: {"invalid": "应为列表"},
    fields.Dict: {"invalid": "应为对象"},
    fields.Nested: {"type": "格式无效"},
    fields.Email: {"invalid": "邮箱格式无效"},
}
for _cls, _messages in _FIELD_MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_messages}

marshmallow.Schema._default_error_messages = {"type": "提交的数据格式无效", "unknown": "不认识的字段"}

validate.Length.message_min = "至少 {min} 个字"
validate.Length.message_max = "最多 {max} 个字"
validate.Length.message_all = "长度应在 {min} 到 {max} 之间"
validate.Length.message_equal = "长度应为 {equal}"
validate.Range.message_min = "应{min_op} {{min}}"
validate.Range.message_max = "应{max_op} {{max}}"
validate.Range.message_all = "应{min_op} {{min}} 且{max_op} {{max}}"
validate.Range.message_gte = "不小于"
validate.Range.message_gt = "大于"
validate.Range.message_lte = "不大于"
validate.Range.message_lt = "小于"
validate.OneOf.default_message = "不是可选的值"
validate.Regexp.default_message = "格式不正确"


# PostgreSQL's ``integer``: the widest whole number every integer column holds.
INTEGER_RANGE = validate.Range(min=-(2**31), max=2**31 - 1)


class _BoundedIntegers:
    """An integer input the database cannot hold is a field error, not a 500 from the
    database: every Integer that is read gets ``INTEGER_RANGE`` unless it has a
    bounded Range of its own (the description then shows the bounds too)."""

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        if isinstance(field_obj, fields.Integer) and not field_obj.dump_only and not any(
            isinstance(v, validate.Range) and v.max is not None for v in field_obj.validators
        ):
            field_obj.validators = [*field_obj.validators, INTEGER_RANGE]


# Characters no text column can hold, or that only ever come from a broken client: a lone
# UTF-16 surrogate (valid JSON, unencodable as UTF-8), NUL (PostgreSQL refuses it) and the
# other C0 controls but tab and line breaks. RTL marks, emoji and the rest are text.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
UNSTORABLE_TEXT = "含有无法保存的字符，请删除后再提交"


def has_unstorable(text):
    return isinstance(text, str) and _UNSTORABLE.search(text) is not None


def printable(text):
    """``text`` with every unstorable character shown as U+FFFD: for echoing what a client
    sent (an unknown field's name in an error) where it must be stored or encoded."""
    return _UNSTORABLE.sub("\ufffd", text) if isinstance(text, str) else text


def printable_messages(messages):
    """Validation messages (a dict, a list, text) with :func:`printable` on every key and
    text: an unknown field's name, echoed as sent, must not make the answer invalid JSON."""
    if isinstance(messages, dict):
        # A form part sent without a name comes back under None: the whole request's
        # errors, as marshmallow names them.
        return {printable(key) if key is not None else "_schema": printable_messages(value)
                for key, value in messages.items()}
    if isinstance(messages, list):
        return [printable_messages(message) for message in messages]
    return printable(messages)


class StorableText(validate.Validator):
    """Refuses text holding a character the database cannot store (see ``_UNSTORABLE``)."""

    error = UNSTORABLE_TEXT

    def __call__(self, value):
        if has_unstorable(value):
            raise ValidationError(self.error)
        return value


_STORABLE = StorableText()


def _require_storable(field_obj):
    """Every String a schema reads, inside lists, dicts and tuples too, gets
    ``StorableText``: one bad character is that field's error, never a 500 from the
    database driver (and never a mutation the phone would resend forever)."""
    if isinstance(field_obj, fields.String) and not any(
            isinstance(v, StorableText) for v in field_obj.validators):
        field_obj.validators = [*field_obj.validators, _STORABLE]
    inner = [getattr(field_obj, "inner", None), getattr(field_obj, "key_field", None),
             getattr(field_obj, "value_field", None), *getattr(field_obj, "tuple_fields", ())]
    for child in inner:
        if child is not None:
            _require_storable(child)


class _SafeInput(_BoundedIntegers):
    """Integers the database can hold and text it can store, on every schema."""

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        if not field_obj.dump_only:
            _require_storable(field_obj)


class Schema(_SafeInput, marshmallow.Schema):
    """Unknown input fields are an error, so a typo never silently drops data."""

    class Meta:
        unknown = RAISE
        ordered = True


class QuerySchema(_SafeInput, marshmallow.Schema):
    """Query strings tolerate unknown parameters (cache busters, tracking)."""

    class Meta:
        unknown = EXCLUDE


def choice(choices, **kwargs):
    """A string field restricted to the codes of a choices mapping."""
    return fields.String(validate=validate.OneOf(list(choices)), **kwargs)


def text(max_length, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


class NotBlank(validate.Validator):
    error = "此项不能为空"

    def __call__(self, value):
        if not value.strip():
            raise ValidationError(self.error)
        return value


def required_text(max_length, **kwargs):
    return fields.String(
        required=True, validate=[NotBlank(), validate.Length(max=max_length)], **kwargs
    )


class PhoneNumber(fields.String):
    """A mainland mobile or landline number, stored without spaces."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not raw.strip():
            return None
        problem = phone_problem(raw)
        if problem:
            raise ValidationError(problem)
        return normalize_phone(raw)


class IdNumber(fields.String):
    """An 18-character national ID number with a valid GB 11643 check digit."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = idnumbers.IdNumber.normalize(super()._deserialize(value, attr, data, **kwargs))
        problem = idnumbers.IdNumber.problem(raw)
        if problem:
            raise ValidationError(problem)
        return raw


class PastDate(fields.Date):
    """A date that is not after today in the county's time zone."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if day > county_today():
            raise ValidationError("不能晚于今天")
        return day


class Fen(fields.Integer):
    """An amount of money in integer fen (分); never a float."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=0, max=10**11), **kwargs)


class Month(fields.String):
    """A calendar month as "YYYY-MM" (a list filter, a task period)."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", raw):
            raise ValidationError("月份格式应为 YYYY-MM")
        return raw


class SyncRecordSchema(Schema):
    """The fields every synced record carries on the wire."""

    id = fields.UUID(dump_only=True)
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


def page_schema(item_schema):
    """``{items, total, page, per_page}`` around a list item schema."""
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
    )


class PageQuerySchema(QuerySchema):
    # Bounded so the row offset stays a 64-bit integer (a larger one is a database error).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


__all__ = [
    "Fen",
    "IdNumber",
    "Month",
    "PageQuerySchema",
    "PastDate",
    "PhoneNumber",
    "QuerySchema",
    "Schema",
    "StorableText",
    "SyncRecordSchema",
    "UNSTORABLE_TEXT",
    "choice",
    "has_unstorable",
    "page_schema",
    "printable",
    "printable_messages",
    "required_text",
    "text",
    "validates_schema",
]
