"""The managers' reports: timeliness, on time by day, at risk, KPI, hotspots,
satisfaction."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.reports import GROUPINGS
from engine.reports.at_risk import SORTS
from engine.reports.satisfaction import GROUPINGS as SATISFACTION_GROUPINGS
from engine.reports.window import WindowInvalid, parse_moment

from .common import Key, PageArgs, PageSchema, aware_field, key_field


class ReportMoment(fields.Field):
    """An ISO 8601 instant with a zone, or a date meaning its midnight in the reports'
    time zone (data/settings.json)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ma.ValidationError("is not a date (YYYY-MM-DD) or an ISO 8601 time")
        try:
            return parse_moment(value)
        except WindowInvalid as err:
            raise ma.ValidationError(str(err)) from None


class ReportFormatArgs(ma.Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv, or send Accept: text/csv"})


class ReportWindowArgs(ReportFormatArgs):
    from_ = ReportMoment(data_key="from", load_default=None,
                         metadata={"description": "Start (default: 30 days before `to`)"})
    to = ReportMoment(load_default=None, metadata={"description": "End, exclusive "
                                                                  "(default: just after now)"})


class TimelinessArgs(ReportWindowArgs):
    group_by = fields.String(load_default="department", validate=validate.OneOf(GROUPINGS))


class TimelinessGroupSchema(ma.Schema):
    group = fields.String()
    name = fields.String()
    orders = fields.Integer(metadata={"description": "Orders with a stage counted here"})
    stages_completed = fields.Integer()
    on_time = fields.Integer(metadata={"description": "Completed within their limit"})
    breached = fields.Integer(metadata={"description": "Completed after their limit"})
    without_limit = fields.Integer()
    on_time_rate = fields.Float(allow_none=True,
                                metadata={"description": "on_time / (on_time + breached)"})
    open = fields.Integer(metadata={"description": "Open now, opened before `to`"})
    open_overdue = fields.Integer()
    duration_p50 = fields.Float(allow_none=True, metadata={"description": "Seconds"})
    duration_p90 = fields.Float(allow_none=True)
    duration_p95 = fields.Float(allow_none=True)
    urges_per_order = fields.Float(allow_none=True)
    transfers_per_order = fields.Float(allow_none=True)


class TimelinessReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    group_by = fields.String()
    groups = fields.List(fields.Nested(TimelinessGroupSchema))
    total = fields.Nested(TimelinessGroupSchema)


class DailyPointSchema(ma.Schema):
    day = fields.Date()
    on_time_rate = fields.Float(allow_none=True)
    completed = fields.Integer(metadata={"description": "Stages completed with a limit"})


class DailyOnTimeSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    time_zone = fields.String()
    departments = fields.Dict(keys=fields.String(),
                              values=fields.List(fields.Nested(DailyPointSchema)))


class DailyOnTimeArgs(ReportWindowArgs):
    format = fields.String(load_default=None,
                           validate=validate.OneOf(["json", "csv", "svg"]),
                           metadata={"description": "svg: the chart (or Accept: "
                                                    "image/svg+xml)"})


class AtRiskArgs(PageArgs, ReportFormatArgs):
    threshold = fields.Float(load_default=None, validate=validate.Range(min=1, max=10_000),
                             metadata={"description": "% of the limit used (default: the "
                                                      "ladder's first rung)"})
    department = Key
    status = fields.String(validate=validate.OneOf(["at_risk", "breached"]))
    sort = fields.String(load_default="due_at", validate=validate.OneOf(SORTS))


class AtRiskSchema(ma.Schema):
    business_key = fields.String()
    instance_id = fields.String()
    task_id = fields.String()
    flow = fields.String()
    stage = fields.String()
    stage_name = fields.String()
    department = fields.String()
    assignee = fields.String(allow_none=True)
    opened_at = aware_field()
    stage_limit = fields.String(allow_none=True)
    due_at = aware_field()
    percent_used = fields.Float()
    seconds_left = fields.Float(metadata={"description": "Negative: time over"})
    status = fields.String(metadata={"description": "at_risk|breached"})


class AtRiskPageSchema(PageSchema):
    threshold = fields.Float()
    items = fields.List(fields.Nested(AtRiskSchema), required=True)


class KpiArgs(ReportFormatArgs):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2200))
    month = fields.Integer(load_default=None, validate=validate.Range(min=1, max=12))


class KpiMonthSchema(ma.Schema):
    month = fields.String()
    liable_complaints = fields.Integer(metadata={
        "description": "Company-liable upgraded complaints judged that month"})
    orders = fields.List(fields.String(), metadata={"description": "Their order numbers"})
    deduction = fields.Float(metadata={"description": "deduction value x count"})
    formula = fields.String()
    major_complaints = fields.Integer(metadata={"description": "Of them, major ones"})
    major_orders = fields.List(fields.String())
    major_deduction = fields.Float(metadata={"description": "Extra, one by one"})
    total_deduction = fields.Float()


class KpiYearSchema(ma.Schema):
    liable_complaints = fields.Integer(metadata={"description": "Cumulative"})
    monthly_deductions = fields.Float(metadata={"description": "Sum of the months"})
    branch = fields.String(metadata={"description": "within_ceiling|above_ceiling|capped"})
    deduction = fields.Float()
    formula = fields.String()
    orders = fields.List(fields.String())
    major_complaints = fields.Integer()
    major_deduction = fields.Float()
    total_deduction = fields.Float(metadata={"description": "deduction + major_deduction"})
    months = fields.List(fields.Nested(KpiMonthSchema))


class LapseMonthSchema(ma.Schema):
    month = fields.String()
    lapsed_orders = fields.Integer(metadata={"description": "Orders a lapse named it in"})
    orders = fields.List(fields.String())


class LapseYearSchema(ma.Schema):
    lapsed_orders = fields.Integer()
    months = fields.List(fields.Nested(LapseMonthSchema))


class KpiTimelinessSchema(ma.Schema):
    month = fields.Nested(LapseMonthSchema, allow_none=True)
    year = fields.Nested(LapseYearSchema)


class KpiDepartmentSchema(ma.Schema):
    department = fields.String()
    name = fields.String()
    city = fields.String(allow_none=True)
    deduction_value = fields.Float()
    ceiling = fields.Integer()
    month = fields.Nested(KpiMonthSchema, allow_none=True)
    year = fields.Nested(KpiYearSchema)
    timeliness = fields.Nested(KpiTimelinessSchema, metadata={
        "description": "Lapsed limits: a separate timeliness figure, not the KPI's input"})


class KpiCitySchema(ma.Schema):
    city = fields.String()
    departments = fields.List(fields.String())
    deduction_value = fields.Float()
    ceiling = fields.Integer()
    month = fields.Nested(KpiMonthSchema, allow_none=True)
    year = fields.Nested(KpiYearSchema)


class KpiReportSchema(ma.Schema):
    year = fields.Integer()
    month = fields.Integer(allow_none=True)
    through = fields.String()
    time_zone = fields.String()
    liable_events = fields.List(fields.String(), metadata={
        "description": "The lapses the timeliness figure counts"})
    major_complaint_deduction = fields.Float()
    departments = fields.List(fields.Nested(KpiDepartmentSchema))
    cities = fields.List(fields.Nested(KpiCitySchema))


class HotspotAlertSchema(ma.Schema):
    id = fields.Integer()
    rule = fields.String()
    key = fields.String(metadata={"description": "The category, or the rule's name"})
    window_start = aware_field()
    window = fields.String()
    threshold = fields.Integer()
    count = fields.Integer()
    department = fields.String(metadata={"description": "Told of it"})
    raised_at = aware_field()
    business_key = fields.String(metadata={"description": "The order that tipped it"})


class BurstSchema(ma.Schema):
    rule = fields.String()
    key = fields.String()
    count = fields.Integer()
    threshold = fields.Integer()
    window = fields.String()


class HotspotReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    alerts = fields.List(fields.Nested(HotspotAlertSchema))
    current = fields.List(fields.Nested(BurstSchema),
                          metadata={"description": "Past a threshold right now"})


class OrderDeadlineGroupSchema(ma.Schema):
    acceptance_department = fields.String()
    closed = fields.Integer(metadata={"description": "Orders closed in the window"})
    met = fields.Integer(metadata={"description": "Closed within their order deadline"})
    missed = fields.Integer()
    on_time_rate = fields.Float(allow_none=True, metadata={"description": "met / closed"})
    paused_seconds = fields.Float(metadata={
        "description": "Time their stages stood paused (not counted against any limit)"})


class OrderDeadlineReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    groups = fields.List(fields.Nested(OrderDeadlineGroupSchema))
    total = fields.Nested(OrderDeadlineGroupSchema)


class SatisfactionArgs(ReportWindowArgs):
    group_by = fields.String(load_default="department",
                             validate=validate.OneOf(SATISFACTION_GROUPINGS),
                             metadata={"description": "department (the processing "
                                                      "department), acceptance_department "
                                                      "or category"})
    department = key_field(load_default=None, metadata={
        "description": "Only the orders this department processed or accepted (a "
                       "department token: always its own)"})


def _count(description: str) -> fields.Integer:
    return fields.Integer(metadata={"description": description})


def _share(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class SatisfactionGroupSchema(ma.Schema):
    group = fields.String()
    name = fields.String()
    feedbacks = _count("Feedback stages completed")
    feedback_reached = _count("... with the customer reached")
    feedback_rated = _count("... saying satisfied, neutral or dissatisfied")
    feedback_satisfied = _count("... saying satisfied")
    feedback_dissatisfied = _count("... saying dissatisfied")
    feedback_satisfaction_rate = _share("feedback_satisfied / feedback_rated")
    visits = _count("Return visits completed")
    visits_reached = _count("... with the customer reached")
    visits_resolved = _count("... saying the problem is solved")
    visits_rated = _count("... saying satisfied, neutral or dissatisfied")
    visits_satisfied = _count("... saying satisfied")
    visits_dissatisfied = _count("... saying dissatisfied")
    visit_satisfaction_rate = _share("visits_satisfied / visits_rated")
    visit_resolved_rate = _share("visits_resolved / visits_reached")
    reopens = _count("Reopenings (return visits that sent the order back)")
    orders_fed_back = _count("Orders with a feedback in the window")
    orders_reopened = _count("Orders reopened in the window")
    reopen_rate = _share("orders_reopened / orders_fed_back")
    reply_ratings = _count("Audits rating the processing department's reply (1-5)")
    reply_rating_average = _share("Mean reply rating (回复满意度)")


class SatisfactionReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    group_by = fields.String()
    groups = fields.List(fields.Nested(SatisfactionGroupSchema))
    total = fields.Nested(SatisfactionGroupSchema)
