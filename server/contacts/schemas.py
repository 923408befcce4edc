from marshmallow import ValidationError, fields, validate, validates_schema

from ..beneficiaries.models import Beneficiary
from ..common.choices import CONTACT_CHANNELS
from ..common.schemas import (
    PageQuerySchema,
    PastDate,
    PhoneNumber,
    QuerySchema,
    Schema,
    SyncRecordSchema,
    choice,
    page_schema,
    required_text,
    text,
)
from ..extensions import db

CARD_NUMBER = r"^LX\d{6,16}$"


def card_number_field(**kwargs):
    return fields.String(
        validate=validate.Regexp(CARD_NUMBER, error="卡号应为 LX 加 6 到 16 位数字"), **kwargs
    )


class ContactCardSchema(SyncRecordSchema):
    """A card as the register and the sync wire show it. The QR token's hash never leaves."""

    beneficiary_id = fields.UUID()
    beneficiary_name = fields.Method("_beneficiary_name", dump_only=True)
    village_id = fields.UUID()
    card_number = fields.String()
    issued_on = fields.Date(allow_none=True)
    work_city = fields.String(allow_none=True)
    work_province = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    emergency_contact = fields.String(allow_none=True)
    last_contact_on = fields.Date(allow_none=True)

    def _beneficiary_name(self, card):
        # Lists preload the page's beneficiaries, so this is an identity-map hit there.
        return db.session.get(Beneficiary, card.beneficiary_id).name


class ContactCardCreateSchema(SyncRecordSchema):
    """village_id follows the beneficiary; a missing card number is generated."""

    id = fields.UUID(load_default=None)
    beneficiary_id = fields.UUID(required=True)
    card_number = card_number_field(allow_none=True)
    issued_on = PastDate()
    work_city = text(60, allow_none=True)
    work_province = text(30, allow_none=True)
    employer = text(100, allow_none=True)
    phone = PhoneNumber(allow_none=True)
    emergency_contact = text(100, allow_none=True)
    last_contact_on = PastDate(allow_none=True)


class ContactCardUpdateSchema(ContactCardCreateSchema):
    class Meta:
        exclude = ("id", "beneficiary_id")

    card_number = card_number_field()  # only a new card gets a generated number

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class ContactCardQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    beneficiary_id = fields.UUID()
    work_city = fields.String(validate=validate.Length(max=60))
    work_province = fields.String(validate=validate.Length(max=30))
    q = fields.String(validate=validate.Length(max=40))


class ContactLogSchema(SyncRecordSchema):
    card_id = fields.UUID()
    village_id = fields.UUID()
    contacted_on = fields.Date()
    channel = fields.String()
    notes = fields.String()


class ContactLogCreateSchema(SyncRecordSchema):
    id = fields.UUID(load_default=None)
    card_id = fields.UUID(required=True)
    contacted_on = PastDate(required=True)
    channel = choice(CONTACT_CHANNELS, required=True)
    notes = required_text(4000)


class ContactLogBodySchema(ContactLogCreateSchema):
    """A new log as the REST path takes it: the card is named in the URL."""

    class Meta:
        exclude = ("card_id",)


class ContactLogUpdateSchema(ContactLogCreateSchema):
    class Meta:
        exclude = ("id", "card_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


ContactCardPageSchema = page_schema(ContactCardSchema)


class CardPrintQuerySchema(QuerySchema):
    """Which cards to print: one card, a village's or a township's."""

    card_id = fields.UUID()
    village_id = fields.UUID()
    township_id = fields.UUID()
    only_unprinted = fields.Boolean(
        load_default=False,
        metadata={"description": "only cards never printed: those already handed out keep "
                                 "their QR codes"},
    )

    @validates_schema
    def _one_selection(self, data, **kwargs):
        given = [name for name in ("card_id", "village_id", "township_id") if data.get(name)]
        if len(given) != 1:
            raise ValidationError({"card_id": ["请指定 card_id、village_id 或 township_id 中的一个"]})


class CardIssueSchema(Schema):
    """A reissued card and its new token: shown once, never stored in clear."""

    card = fields.Nested(ContactCardSchema)
    token = fields.String()
    feedback_url = fields.String()
