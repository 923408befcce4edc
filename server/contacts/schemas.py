from marshmallow import ValidationError, fields, validate, validates_schema

from ..beneficiaries.models import Beneficiary
from ..common.schemas import (
    PageQuerySchema,
    QuerySchema,
    Schema,
    page_schema,
)
from ..extensions import db
from ..records.fields import entity_schemas
from .models import ContactCard, ContactLog


def _beneficiary_name(card):
    # Lists preload the page's beneficiaries, so this is an identity-map hit there.
    return db.session.get(Beneficiary, card.beneficiary_id).name


# A card as the register and the sync wire show it (the QR token's hash never leaves), a
# new one (village_id follows the beneficiary; a missing card number is generated), a
# change. Each field is declared once, on its column (server/contacts/models.py).
ContactCardSchema, ContactCardCreateSchema, ContactCardUpdateSchema = entity_schemas(
    ContactCard, name="ContactCard",
    shown_extra={"beneficiary_name": fields.Function(_beneficiary_name, dump_only=True)})


class ContactCardQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    township_id = fields.UUID()
    beneficiary_id = fields.UUID()
    work_city = fields.String(validate=validate.Length(max=60))
    work_province = fields.String(validate=validate.Length(max=30))
    q = fields.String(validate=validate.Length(max=40))


ContactLogSchema, ContactLogCreateSchema, ContactLogUpdateSchema = entity_schemas(
    ContactLog, name="ContactLog")


class ContactLogBodySchema(ContactLogCreateSchema):
    """A new log as the REST path takes it: the card is named in the URL."""

    class Meta:
        exclude = ("card_id",)


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


class CardPrintPreviewSchema(Schema):
    """What a print run would do, before it is made."""

    area = fields.String(metadata={"description": "the village's or township's name, or the card number"})
    cards = fields.Integer(metadata={"description": "cards the run prints"})
    revokes = fields.Integer(metadata={"description": "of them, cards whose QR code handed out before stops working"})
    never_printed = fields.Integer()
    public_base_url = fields.String(metadata={"description": "where the printed QR codes point"})
    can_print = fields.Boolean()
    problem = fields.String(allow_none=True, metadata={"description": "why it cannot print now, in Chinese"})


class CardIssueSchema(Schema):
    """A reissued card and its new token: shown once, never stored in clear."""

    card = fields.Nested(ContactCardSchema)
    token = fields.String()
    feedback_url = fields.String()
