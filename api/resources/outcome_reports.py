"""The outcome reports (issue 14): first-contact resolution, repeat and upgraded complaints,
and the problem analysis. JSON, or CSV with format=csv; managers read every order,
departments the orders they accepted."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..auth import requires
from ..csv_export import csv_response, grouped_csv, wants
from ..schemas.outcome_reports import (
    FcrReportSchema,
    OutcomeArgs,
    ProblemReportSchema,
    RepeatReportSchema,
    UpgradeReportSchema,
)
from ..schemas.reports import ReportWindowArgs
from .common import own_department, reports
from .reports import AS_CSV, TEXT, _window

blp = Blueprint("outcome-reports", __name__,
                description="First-contact resolution, repeats, upgrades, problem analysis")

FCR_COLUMNS = ["group", "closed", "on_the_spot", "first_time", "resolved_first_contact",
               "rate", "on_the_spot_orders", "first_time_orders", "not_first_time_orders"]
REPEAT_COLUMNS = ["group", "orders", "repeats", "rate", "repeat_orders"]
UPGRADE_COLUMNS = ["kind", "key", "name", "count", "orders"]
PROBLEM_COLUMNS = ["rank", "category", "name", "orders", "share", "cumulative_share", "main",
                   "closed", "fcr_rate", "median_handling_seconds", "class", "order_numbers"]


@blp.route("/first-contact")
class FirstContact(MethodView):
    @requires("manager", "department")
    @blp.arguments(OutcomeArgs, location="query", unknown=RAISE)
    @blp.response(200, FcrReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """First-contact resolution rate (一次解决率) per acceptance department, category,
        month or city: orders closed in the window, resolved on the spot or first time"""
        start, end = _window(args)
        report = reports().first_contact(start, end, args["group_by"], own_department())
        if wants("csv", args):
            return grouped_csv(report, FCR_COLUMNS, "first-contact")
        return report


@blp.route("/repeats")
class Repeats(MethodView):
    @requires("manager", "department")
    @blp.arguments(OutcomeArgs, location="query", unknown=RAISE)
    @blp.response(200, RepeatReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Repeat rate (重复投诉率): orders submitted in the window that repeat an earlier
        complaint of the same customer, per group; churn-risk customers"""
        start, end = _window(args)
        report = reports().repeats(start, end, args["group_by"], own_department())
        if wants("csv", args):
            return grouped_csv(report, REPEAT_COLUMNS, "repeats")
        return report


@blp.route("/upgrades")
class Upgrades(MethodView):
    @requires("manager", "department")
    @blp.arguments(ReportWindowArgs, location="query", unknown=RAISE)
    @blp.response(200, UpgradeReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Upgraded complaints (升级投诉) upgraded in the window: count, by source, and by
        their latest liability judgment (liable, by department and by cause)"""
        start, end = _window(args)
        report = reports().upgrades(start, end, own_department())
        if wants("csv", args):
            rows = [{"kind": kind, "key": kind, "count": report[kind],
                     "orders": report[f"{kind}_orders"]}
                    for kind in ("liable", "not_liable", "unjudged")]
            for kind, key in (("by_source", "source"), ("by_department", "department"),
                              ("by_cause", "cause")):
                rows += [{"kind": kind, "key": row[key], "name": row.get("name"),
                          "count": row["count"], "orders": row["orders"]}
                         for row in report[kind]]
            return csv_response(rows, UPGRADE_COLUMNS, "upgrades")
        return report


@blp.route("/problems")
class Problems(MethodView):
    @requires("manager", "department")
    @blp.arguments(ReportWindowArgs, location="query", unknown=RAISE)
    @blp.response(200, ProblemReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Problem analysis (seed 003): categories ranked by volume with the cumulative
        share (the main problems behind the Pareto share), and per category the
        first-contact rate, median handling time and simple or difficult"""
        start, end = _window(args)
        report = reports().problems(start, end, own_department())
        if wants("csv", args):
            return csv_response(report["categories"], PROBLEM_COLUMNS, "problems")
        return report
