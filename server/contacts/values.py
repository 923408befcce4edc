"""The card number's shape: what a typed or generated 连心卡 number looks like."""

from marshmallow import fields, validate

CARD_NUMBER = r"^LX\d{6,16}$"


def card_number_field(**kwargs):
    return fields.String(
        validate=validate.Regexp(CARD_NUMBER, error="卡号应为 LX 加 6 到 16 位数字"), **kwargs
    )
