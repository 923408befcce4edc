from marshmallow import fields, validate

from ..common.choices import REVIEW_STATUS, VISIT_TYPES
from ..common.schemas import Month, PageQuerySchema, Schema, choice, page_schema
from ..visits.schemas import VisitSchema


class ReviewQuerySchema(PageQuerySchema):
    township_id = fields.UUID()
    village_id = fields.UUID()
    visit_type = choice(VISIT_TYPES)
    month = Month(metadata={"description": "visited in this month (YYYY-MM)"})
    review_status = choice(REVIEW_STATUS)
    q = fields.String(validate=validate.Length(max=40),
                      metadata={"description": "part of the beneficiary's name"})


class ReviewItemSchema(Schema):
    """A visit as the queue lists it, with the names a reviewer reads."""

    id = fields.UUID()
    version = fields.Integer()
    visit_type = fields.String()
    visited_on = fields.Date()
    summary = fields.String()
    beneficiary_id = fields.UUID()
    beneficiary_name = fields.String()
    village_id = fields.UUID()
    village_name = fields.String()
    township_name = fields.String()
    liaison_name = fields.String()
    review_status = fields.String()
    review_comment = fields.String(allow_none=True)
    photo_count = fields.Integer()
    has_location = fields.Boolean()
    updated_at = fields.DateTime()


ReviewPageSchema = page_schema(ReviewItemSchema)


class PersonBriefSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date()
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String()
    address = fields.String()
    category = fields.String()
    disability_grade = fields.Integer(allow_none=True)
    status = fields.String()
    is_migrant = fields.Boolean()


class PhotoInfoSchema(Schema):
    id = fields.String()
    uploaded = fields.Boolean()
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)


class HistoryEntrySchema(Schema):
    at = fields.DateTime()
    action = fields.String()
    username = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), attribute="fields", data_key="fields")
    comment = fields.String(allow_none=True)


class ReviewDetailSchema(Schema):
    visit = fields.Nested(VisitSchema)
    beneficiary = fields.Nested(PersonBriefSchema)
    village_name = fields.String()
    township_name = fields.String()
    liaison_name = fields.String()
    reviewer_name = fields.String(allow_none=True)
    case = fields.Dict(allow_none=True)
    photos = fields.List(fields.Nested(PhotoInfoSchema))
    history = fields.List(fields.Nested(HistoryEntrySchema))


class ApproveVillageSchema(Schema):
    village_id = fields.UUID(required=True)
    month = Month(required=True)
    visit_type = choice(VISIT_TYPES, metadata={"description": "only visits of this type"})


class ApproveVillageResultSchema(Schema):
    approved = fields.Integer()
    visit_ids = fields.List(fields.UUID())
    skipped_returned = fields.Integer(
        metadata={"description": "returned visits left for their liaison to fix"})
