"""The outcome reports: first-contact resolution, repeats, upgraded complaints and the
problem analysis; each figure beside its order numbers."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.reports.outcomes import OUTCOME_GROUPINGS

from .common import aware_field
from .reports import ReportWindowArgs

Numbers = fields.List(fields.String())


class OutcomeArgs(ReportWindowArgs):
    group_by = fields.String(load_default="acceptance_department",
                             validate=validate.OneOf(OUTCOME_GROUPINGS))


class FcrGroupSchema(ma.Schema):
    group = fields.String()
    closed = fields.Integer(metadata={"description": "Orders closed in the window"})
    on_the_spot = fields.Integer(metadata={"description": "Resolved at intake"})
    first_time = fields.Integer(metadata={"description": "Closed with no transfer, "
                                                         "send-back, rejection, reopening"})
    resolved_first_contact = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "resolved / closed"})
    on_the_spot_orders = Numbers
    first_time_orders = Numbers
    not_first_time_orders = Numbers


class FcrReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    group_by = fields.String()
    not_first_time_events = fields.List(fields.String())
    groups = fields.List(fields.Nested(FcrGroupSchema))
    total = fields.Nested(FcrGroupSchema)


class RepeatGroupSchema(ma.Schema):
    group = fields.String()
    orders = fields.Integer(metadata={"description": "Submitted in the window"})
    repeats = fields.Integer(metadata={"description": "With an earlier order of the "
                                                     "customer in the repeat window"})
    rate = fields.Float(allow_none=True)
    repeat_orders = Numbers


class RepeatReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    group_by = fields.String()
    groups = fields.List(fields.Nested(RepeatGroupSchema))
    total = fields.Nested(RepeatGroupSchema)
    customers = fields.Integer()
    churn_risk_customers = fields.Integer(metadata={
        "description": "Customers with two or more complaints in the window"})


class CountedSchema(ma.Schema):
    source = fields.String()
    department = fields.String()
    cause = fields.String()
    name = fields.String()
    count = fields.Integer()
    orders = Numbers


class UpgradeReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    upgraded = fields.Integer(metadata={"description": "Orders upgraded in the window"})
    liable = fields.Integer(metadata={"description": "Latest judgment: company-liable"})
    not_liable = fields.Integer()
    unjudged = fields.Integer()
    liable_rate = fields.Float(allow_none=True, metadata={"description": "liable / judged"})
    orders = Numbers
    liable_orders = Numbers
    not_liable_orders = Numbers
    unjudged_orders = Numbers
    by_source = fields.List(fields.Nested(CountedSchema))
    by_department = fields.List(fields.Nested(CountedSchema))
    by_cause = fields.List(fields.Nested(CountedSchema))


class ProblemCategorySchema(ma.Schema):
    rank = fields.Integer()
    category = fields.String()
    name = fields.String()
    orders = fields.Integer()
    share = fields.Float()
    cumulative_share = fields.Float()
    main = fields.Boolean(metadata={"description": "Within the Pareto share"})
    closed = fields.Integer()
    fcr_rate = fields.Float(allow_none=True)
    median_handling_seconds = fields.Float(allow_none=True)
    class_ = fields.String(data_key="class", attribute="class", allow_none=True,
                           metadata={"description": "simple|difficult (null: none closed)"})
    order_numbers = Numbers


class ProblemReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from")
    to = aware_field()
    orders = fields.Integer()
    pareto_share = fields.Float()
    simple_min_fcr_rate = fields.Float()
    simple_max_median_seconds = fields.Float()
    categories = fields.List(fields.Nested(ProblemCategorySchema))
