from flask_smorest.fields import Upload
from marshmallow import fields

from ..common.schemas import Schema


class RosterUploadSchema(Schema):
    """The upload: the ``file`` part and whether only to check it."""

    file = Upload(load_only=True, metadata={
        "description": "the roster: .xlsx, .xls or .csv (UTF-8 or GB18030)"})

    dry_run = fields.Boolean(load_default=True, metadata={
        "description": "true: check only, change nothing (the default); false: import the "
                       "good rows"})


class RosterErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "the row as Excel numbers it"})
    column = fields.String(metadata={"description": "the column's header in the file"})
    message = fields.String()


class RosterImportSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    dry_run = fields.Boolean()
    file_name = fields.String()
    file_sha256 = fields.String()
    rows_total = fields.Integer(allow_none=True)
    rows_done = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer(metadata={"description": "rows refused"})
    errors = fields.List(fields.Nested(RosterErrorSchema),
                         metadata={"description": "the first 200 problems"})
    errors_total = fields.Integer()
    has_report = fields.Boolean()
    error = fields.String(allow_none=True, metadata={
        "description": "why the file could not be read (a failed job)"})
    applied_from = fields.UUID(allow_none=True, metadata={
        "description": "the dry run this import applies"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class RosterImportListSchema(Schema):
    items = fields.List(fields.Nested(RosterImportSchema))
