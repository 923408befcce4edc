from marshmallow import fields

from ..common.schemas import Month, QuerySchema, Schema
from ..feedback.schemas import SourceFiguresSchema


class DashboardQuerySchema(QuerySchema):
    month = Month(metadata={"description": "YYYY-MM; this month when omitted"})
    township_id = fields.UUID(metadata={"description": "rows per village of this township"})
    village_id = fields.UUID(metadata={"description": "one village, with its people not visited"})


class AreaRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class ScopeRefSchema(AreaRefSchema):
    level = fields.String()


class CountsSchema(Schema):
    due = fields.Integer(metadata={"description": "应访"})
    done = fields.Integer(metadata={"description": "已访"})
    rate = fields.Float(allow_none=True, metadata={"description": "完成率 = done ÷ due"})
    overdue_monthly = fields.Integer()
    overdue_follow_ups = fields.Integer()
    open_cases = fields.Integer()
    sick = fields.Integer()
    hardship = fields.Integer()
    policy_visits = fields.Integer(metadata={"description": "visits that explained a policy"})
    policies_explained = fields.Integer(
        metadata={"description": "policies explained, on visits and at village meetings"})
    meetings = fields.Integer(metadata={"description": "village outreach meetings held"})
    meeting_headcount = fields.Integer(metadata={"description": "people at those meetings"})
    services = fields.Integer(metadata={"description": "便民服务 done on visits"})
    opinions = fields.Integer(metadata={"description": "opinions the liaisons collected"})


class ServiceCountSchema(Schema):
    code = fields.String()
    label = fields.String()
    count = fields.Integer()


class DashboardRowSchema(CountsSchema):
    id = fields.UUID()
    name = fields.String()
    code = fields.String()


class CareVisitSchema(Schema):
    id = fields.UUID()
    visit_type = fields.String()
    visited_on = fields.Date()
    summary = fields.String()
    needs = fields.String(allow_none=True)
    review_status = fields.String()
    beneficiary_name = fields.String()
    village_name = fields.String()


class NotVisitedSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    id_number = fields.String(metadata={"description": "masked"})
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    category = fields.String()
    is_migrant = fields.Boolean()
    task_status = fields.String(allow_none=True)
    overdue_days = fields.Integer()


class DashboardSchema(Schema):
    month = fields.String()
    basis = fields.String(metadata={"description": "tasks: 应访 from the month's visit tasks; "
                                                   "people: from the people registered"})
    level = fields.String(metadata={"description": "county, township or village"})
    visit_day = fields.Date(metadata={"description": "the month's visit day (LIANXIN_VISIT_DAY)"})
    visit_day_passed = fields.Boolean(
        metadata={"description": "today (county time) is after the visit day: a low 完成率 "
                                 "is late only then"})
    scope = fields.Nested(ScopeRefSchema, metadata={"description": "the user's own region: "
                                                                   "the dashboard's top"})
    township = fields.Nested(AreaRefSchema, allow_none=True)
    village = fields.Nested(AreaRefSchema, allow_none=True)
    totals = fields.Nested(CountsSchema)
    rows = fields.List(fields.Nested(DashboardRowSchema))
    tasks = fields.Dict(metadata={"description": "{kind: {due, done, overdue}} of the month"})
    mediation = fields.Dict(metadata={"description": "open cases: by_status, by_age (days)"})
    care_visits = fields.List(fields.Nested(CareVisitSchema))
    services = fields.List(fields.Nested(ServiceCountSchema),
                           metadata={"description": "便民服务 of the month by kind"})
    feedback_by_source = fields.List(fields.Nested(SourceFiguresSchema), metadata={
        "description": "the month's feedback by source (form, liaison): reply rate, mean "
                       "hours to the first reply"})
    not_visited = fields.List(fields.Nested(NotVisitedSchema), allow_none=True)
    stale_devices = fields.Integer(metadata={"description": "phones with unsent records, "
                                                           "not synced for 3 days"})
    conflicts = fields.Integer(metadata={"description": "sync conflicts waiting"})


class MonthlyReportQuerySchema(QuerySchema):
    month = Month(metadata={"description": "YYYY-MM; this month when omitted"})
    township_id = fields.UUID(metadata={"description": "only this township's page"})
