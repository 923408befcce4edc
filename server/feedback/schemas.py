"""Feedback forms: what a migrant sends, what they may read back, and what staff handle."""

from marshmallow import ValidationError, fields, validate, validates_schema

from ..beneficiaries.models import Beneficiary
from ..common.choices import FEEDBACK_CATEGORIES, FEEDBACK_SOURCES, FEEDBACK_STATUS
from ..common.schemas import (
    Month,
    PageQuerySchema,
    PhoneNumber,
    QuerySchema,
    Schema,
    SyncRecordSchema,
    choice,
    page_schema,
    required_text,
)
from ..common.schemas import (
    text as text_field,
)
from ..common.timeutil import county_today
from ..contacts.models import ContactCard
from ..extensions import db
from ..records.fields import entity_schemas
from ..regions.models import Region
from ..users.models import User
from .models import TEXT_MAX, Opinion

REPLY_MAX = 4000
PHONE_NEEDED = "匿名反映须留手机号，以便答复和查询进度"
ANONYMOUS_WITH_PERSON = "匿名意见不能指定优抚对象"
NOT_YET_REPLIED = "尚未答复，不能标记已转告"
RECEIPT = r"^[A-Za-z]{2}\d{6,18}$"


class PublicFeedbackSchema(Schema):
    """A feedback form as the public page and the public API take it.

    ``token`` is the card's token (from the QR code), absent for anonymous forms.
    ``website`` is the honeypot: people never see it, robots fill it in.
    ``stamp`` is the form's stamp (in the page, or from ``GET …/public/stamp``).
    """

    token = fields.String(load_default=None, validate=validate.Length(max=64))
    category = choice(FEEDBACK_CATEGORIES, required=True)
    text = required_text(TEXT_MAX)
    phone = PhoneNumber(load_default=None, allow_none=True)
    city = text_field(60, load_default=None, allow_none=True)
    website = fields.String(load_default=None, allow_none=True, load_only=True,
                            metadata={"description": "leave out: a trap for robots"})
    stamp = fields.String(
        required=True, validate=validate.Length(max=200),
        error_messages={"required": "页面已过期，请重新打开后再提交"},
        metadata={"description": "from GET /api/v1/feedback/public/stamp: sends one feedback, "
                                 "no sooner than its wait_seconds after it was handed out"})

    @validates_schema
    def _phone_when_anonymous(self, data, **kwargs):
        if not data.get("token") and not data.get("phone"):
            raise ValidationError({"phone": [PHONE_NEEDED]})


class StampSchema(Schema):
    """A form stamp for the API: send the form with it once, after ``wait_seconds``."""

    stamp = fields.String()
    wait_seconds = fields.Integer(metadata={"description": "send no sooner than this"})
    expires_in = fields.Integer(metadata={"description": "seconds the stamp stays good"})


class ReceiptSchema(Schema):
    """What a migrant gets back: the number to quote when asking after it."""

    receipt_number = fields.String()
    status = fields.String()
    deadline = fields.Date()
    trackable = fields.Boolean(metadata={"description": "false when no phone is known: "
                                         "the status page cannot be used"})


class PublicStatusQuerySchema(QuerySchema):
    receipt = fields.String(required=True, validate=validate.Length(min=1, max=24))
    phone = PhoneNumber(required=True)


class PublicStatusSchema(Schema):
    """Progress as the migrant sees it: nothing of who handles it or of any person."""

    receipt_number = fields.String()
    category = fields.String()
    category_label = fields.Function(lambda f: FEEDBACK_CATEGORIES.get(f.category, f.category))
    status = fields.String()
    status_label = fields.Function(lambda f: FEEDBACK_STATUS.get(f.status, f.status))
    submitted_at = fields.DateTime(attribute="created_at")
    deadline = fields.Date()
    text = fields.String()
    reply = fields.String()
    replied_at = fields.DateTime()
    closed_at = fields.DateTime()


OPEN_STATUSES = ("received", "assigned")


def is_overdue(feedback, today=None):
    """限时办结: not yet answered once the deadline day has passed."""
    return feedback.status in OPEN_STATUSES and (today or county_today()) > feedback.deadline


class FeedbackSchema(SyncRecordSchema):
    """A feedback as staff see it. The text is exactly what the migrant sent: screens
    must show it as text, never as markup."""

    receipt_number = fields.String()
    source = fields.String(metadata={"description": "form (表单/连心卡) or liaison (联络员收集: "
                                                    "an opinion a liaison recorded)"})
    collected_by_id = fields.Integer(allow_none=True, metadata={
        "description": "the liaison (or officer) who recorded it, for source liaison"})
    collected_by_name = fields.Method("_collected_by_name")
    card_id = fields.UUID(allow_none=True)
    card_number = fields.Method("_card_number")
    beneficiary_id = fields.UUID(allow_none=True)
    beneficiary_name = fields.Method("_beneficiary_name")
    village_id = fields.UUID(allow_none=True)
    village_name = fields.Method("_village_name")
    township_id = fields.Method("_township_id")
    category = fields.String()
    text = fields.String()
    phone = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    status = fields.String()
    assigned_region_id = fields.UUID(allow_none=True)
    assigned_region_name = fields.Method("_assigned_region_name")
    assigned_user_id = fields.Integer(allow_none=True)
    assigned_user_name = fields.Method("_assigned_user_name")
    deadline = fields.Date()
    overdue = fields.Function(lambda f: is_overdue(f))
    reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    reminders_sent = fields.Integer()
    suspected = fields.String(allow_none=True, metadata={
        "description": "kept, but looks like a robot's: honeypot (the hidden field filled) "
                       "or duplicate (the same text from someone else within a day)"})

    # Lists preload the page's cards, people, regions and users: these are identity-map hits.
    def _card_number(self, feedback):
        card = feedback.card_id and db.session.get(ContactCard, feedback.card_id)
        return card.card_number if card else None

    def _beneficiary_name(self, feedback):
        person = feedback.beneficiary_id and db.session.get(Beneficiary, feedback.beneficiary_id)
        return person.name if person else None

    def _village_name(self, feedback):
        village = feedback.village_id and db.session.get(Region, feedback.village_id)
        return village.name if village else None

    def _township_id(self, feedback):
        village = feedback.village_id and db.session.get(Region, feedback.village_id)
        return str(village.parent_id) if village and village.parent_id else None

    def _assigned_region_name(self, feedback):
        region = feedback.assigned_region_id and db.session.get(Region, feedback.assigned_region_id)
        return region.name if region else None

    def _assigned_user_name(self, feedback):
        person = feedback.assigned_user_id and db.session.get(User, feedback.assigned_user_id)
        return person.display_name if person else None

    def _collected_by_name(self, feedback):
        person = feedback.collected_by_id and db.session.get(User, feedback.collected_by_id)
        return person.display_name if person else None


class FeedbackQuerySchema(PageQuerySchema):
    status = choice(FEEDBACK_STATUS)
    source = choice(FEEDBACK_SOURCES, metadata={"description": "form or liaison"})
    category = choice(FEEDBACK_CATEGORIES)
    township_id = fields.UUID()
    village_id = fields.UUID()
    overdue = fields.Boolean()
    suspected = fields.Boolean(metadata={"description": "only (true) or without (false) the "
                                         "forms marked as looking like a robot's"})
    month = Month(metadata={"description": "received in this month (YYYY-MM, county time)"})
    q = fields.String(validate=validate.Length(max=40),
                      metadata={"description": "a whole receipt number, or words of the text"})


class FeedbackExportQuerySchema(FeedbackQuerySchema):
    class Meta:
        exclude = ("page", "per_page")


class FeedbackAssignSchema(Schema):
    """To a township, to an officer, or both (the officer must belong to the township)."""

    region_id = fields.UUID(load_default=None, allow_none=True)
    user_id = fields.Integer(load_default=None, allow_none=True)

    @validates_schema
    def _something(self, data, **kwargs):
        if not data.get("region_id") and not data.get("user_id"):
            raise ValidationError({"region_id": ["请选择承办乡镇或承办人"]})


class FeedbackReplySchema(Schema):
    reply = required_text(REPLY_MAX)


class FeedbackStatsQuerySchema(QuerySchema):
    month = Month(metadata={"description": "feedback received in this month; all when omitted"})
    township_id = fields.UUID()
    source = choice(FEEDBACK_SOURCES, metadata={"description": "only this source"})


class FeedbackStatsSchema(Schema):
    month = fields.String(allow_none=True)
    received = fields.Integer(metadata={"description": "feedback received"})
    open = fields.Integer(metadata={"description": "of those, not yet answered"})
    overdue = fields.Integer(metadata={"description": "of those, not answered by the deadline"})
    replied = fields.Integer(metadata={"description": "of those, answered (closed included)"})
    closed = fields.Integer(metadata={"description": "of those, closed (办结)"})
    resolution_rate = fields.Float(allow_none=True, metadata={"description": "closed ÷ received"})
    mean_hours_to_reply = fields.Float(
        allow_none=True, metadata={"description": "mean hours from receipt to the first reply"})


FeedbackPageSchema = page_schema(FeedbackSchema)


class SourceFiguresSchema(Schema):
    """One source's feedback of a period (the dashboard's 意见办理 by source)."""

    source = fields.String(metadata={"description": "form or liaison"})
    label = fields.String()
    received = fields.Integer()
    replied = fields.Integer(metadata={"description": "answered (replied or closed)"})
    closed = fields.Integer()
    overdue = fields.Integer(metadata={"description": "not answered by the deadline"})
    reply_rate = fields.Float(allow_none=True, metadata={"description": "replied ÷ received"})
    mean_hours_to_reply = fields.Float(
        allow_none=True, metadata={"description": "mean hours from receipt to the first reply"})


# --- opinions a liaison collected (server/feedback/opinions.py) ------------------------------


def opinion_rules(values):
    """A new opinion as a whole: an anonymous one names nobody; nothing is relayed before
    it is answered (the reply comes later, from staff)."""
    errors = {}
    if values.get("anonymous") and values.get("beneficiary_id"):
        errors["beneficiary_id"] = [ANONYMOUS_WITH_PERSON]
    if values.get("relayed_on") is not None:
        errors["relayed_on"] = [NOT_YET_REPLIED]
    return errors


# An opinion as the phone holds it (the feedback's receipt number, status, deadline and
# reply mirrored onto it), a new one, a change (only 已转告, relayed_on, once answered).
# Each field is declared once, on its column (server/feedback/models.py).
OpinionSchema, OpinionCreateSchema, OpinionUpdateSchema = entity_schemas(
    Opinion, name="Opinion", rules=opinion_rules)


class OpinionQuerySchema(PageQuerySchema):
    village_id = fields.UUID()
    status = choice(FEEDBACK_STATUS)
    relayed = fields.Boolean(metadata={"description": "already told the villager (true) or "
                                                      "not yet (false)"})


OpinionPageSchema = page_schema(OpinionSchema)
