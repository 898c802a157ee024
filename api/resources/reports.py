"""Reports for managers: timeliness, stages at risk, the KPI assessment, hotspots, and
the daily on-time chart. JSON by default; CSV with `format=csv` or Accept: text/csv."""
from __future__ import annotations

from datetime import datetime

from flask import Response, abort
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.people.figures import handlers_report
from engine.reports.window import WindowInvalid

from ..auth import current_principal, requires
from ..csv_export import csv_response, grouped_csv, wants
from ..presenters import page_view
from ..schemas.reports import (
    AtRiskArgs,
    AtRiskPageSchema,
    DailyOnTimeArgs,
    DailyOnTimeSchema,
    HotspotReportSchema,
    KpiArgs,
    KpiReportSchema,
    OrderDeadlineReportSchema,
    ReportWindowArgs,
    SatisfactionArgs,
    SatisfactionGroupSchema,
    SatisfactionReportSchema,
    TimelinessArgs,
    TimelinessReportSchema,
)
from ..schemas.staff import HandlerReportArgs, HandlerReportSchema
from ..schemas.work_orders import ContactDueSchema, EndingsReportSchema
from .common import case_log, confined_department, reports, work_orders

blp = Blueprint("reports", __name__,
                description="Timeliness, stages at risk, KPI, hotspots, satisfaction")
# The other formats, documented beside the JSON of each report's 200.
TEXT = {"type": "string"}
AS_CSV = "JSON, or CSV with format=csv (or Accept: text/csv)"
AS_CSV_OR_SVG = "JSON, CSV with format=csv (or Accept: text/csv), or with format=svg the chart"

TIMELINESS_COLUMNS = ["group", "name", "orders", "stages_completed", "on_time", "breached",
                      "without_limit", "on_time_rate", "open", "open_overdue", "duration_p50",
                      "duration_p90", "duration_p95", "urges_per_order", "transfers_per_order"]
AT_RISK_COLUMNS = ["business_key", "flow", "stage", "stage_name", "department", "assignee",
                   "opened_at", "stage_limit", "due_at", "percent_used", "seconds_left",
                   "status"]
KPI_COLUMNS = ["kind", "department", "name", "city", "deduction_value", "ceiling", "month",
               "month_liable_complaints", "month_deduction", "month_formula",
               "month_major_complaints", "month_total_deduction", "month_orders",
               "year_liable_complaints", "year_monthly_deductions", "year_branch",
               "year_deduction", "year_formula", "year_major_complaints",
               "year_total_deduction", "year_orders", "month_lapsed_orders",
               "year_lapsed_orders"]
ORDER_DEADLINE_COLUMNS = ["acceptance_department", "closed", "met", "missed", "on_time_rate",
                          "paused_seconds"]
SATISFACTION_COLUMNS = ["group", "name", *(
    name for name in SatisfactionGroupSchema().fields if name not in ("group", "name"))]
HOTSPOT_COLUMNS = ["kind", "rule", "key", "count", "threshold", "window", "department",
                   "raised_at", "business_key"]


@blp.route("/timeliness")
class Timeliness(MethodView):
    @requires("manager")
    @blp.arguments(TimelinessArgs, location="query", unknown=RAISE)
    @blp.response(200, TimelinessReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Per department, stage, flow or category: orders, stages completed, on-time
        rate (completed within the limit / completed), breaches, open stages apart,
        p50/p90/p95 durations in seconds, urges and transfers per order"""
        start, end = _window(args)
        report = reports().timeliness(start, end, args["group_by"])
        if wants("csv", args):
            return grouped_csv(report, TIMELINESS_COLUMNS, f"timeliness-by-{args['group_by']}")
        return report


@blp.route("/order-deadlines")
class OrderDeadlines(MethodView):
    @requires("manager")
    @blp.arguments(ReportWindowArgs, location="query", unknown=RAISE)
    @blp.response(200, OrderDeadlineReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Order-level on-time rate (工单时限) per acceptance department: orders closed in
        the window within their order deadline / closed, and their paused time"""
        start, end = _window(args)
        report = reports().order_deadlines(start, end)
        if wants("csv", args):
            return grouped_csv(report, ORDER_DEADLINE_COLUMNS, "order-deadlines")
        return report


@blp.route("/on-time-daily")
class DailyOnTime(MethodView):
    @requires("manager")
    @blp.arguments(DailyOnTimeArgs, location="query", unknown=RAISE)
    @blp.response(200, DailyOnTimeSchema, description=AS_CSV_OR_SVG)
    @blp.alt_response(200, schema=TEXT, content_type="image/svg+xml",
                      description=AS_CSV_OR_SVG)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV_OR_SVG)
    def get(self, args):
        """Each department's on-time rate day by day; `format=svg` draws it as a chart"""
        start, end = _window(args)
        if wants("svg", args):
            return Response(reports().daily_on_time_chart(start, end),
                            mimetype="image/svg+xml")
        series = reports().daily_on_time(start, end)
        if wants("csv", args):
            return csv_response(
                ({"day": day, "department": department, "on_time_rate": rate,
                  "completed": count}
                 for department, points in series.items() for day, rate, count in points),
                ["day", "department", "on_time_rate", "completed"], "on-time-daily")
        return {"from": start, "to": end,
                "time_zone": str(reports().time_zone),
                "departments": {department: [
                    {"day": day, "on_time_rate": rate, "completed": count}
                    for day, rate, count in points] for department, points in series.items()}}


@blp.route("/at-risk")
class AtRisk(MethodView):
    @requires("manager", "department")
    @blp.arguments(AtRiskArgs, location="query", unknown=RAISE)
    @blp.response(200, AtRiskPageSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Open stages past a share of their limit (at risk) or past all of it
        (breached), with time left or over; departments see their own"""
        department = confined_department(args.get("department"), "stages")
        query = {"threshold_percent": args["threshold"], "department": department,
                 "status": args.get("status"), "sort": args["sort"]}
        if wants("csv", args):  # every row, not a page
            page, _threshold = reports().at_risk(**query, page=1, per_page=None)
            return csv_response((item.as_dict() for item in page.items), AT_RISK_COLUMNS,
                                "at-risk")
        page, threshold = reports().at_risk(**query, page=args["page"],
                                            per_page=args["per_page"])
        return {**page_view(page, lambda item: item.as_dict()), "threshold": threshold}


@blp.route("/kpi")
class Kpi(MethodView):
    @requires("manager")
    @blp.arguments(KpiArgs, location="query", unknown=RAISE)
    @blp.response(200, KpiReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Each department's and city's monthly deduction (deduction value x
        company-liable upgraded complaints judged that month, plus the extra per liable
        major complaint) and the year's (within the ceiling: monthly sum x 0.1; above
        it: 5 + 0.5 x excess, at most 10), each beside its order numbers; the lapse
        count beside it as a separate timeliness figure"""
        report = reports().kpi(args["year"], args["month"])
        if wants("csv", args):
            rows = [_kpi_row(d, "department") for d in report["departments"]]
            rows += [_kpi_row({**c, "department": c["city"], "name": c["city"]}, "city")
                     for c in report["cities"]]
            return csv_response(rows, KPI_COLUMNS, f"kpi-{report['through']}")
        return report


@blp.route("/hotspots")
class Hotspots(MethodView):
    @requires("manager")
    @blp.arguments(ReportWindowArgs, location="query", unknown=RAISE)
    @blp.response(200, HotspotReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Hotspot alerts raised in the window, and bursts past a threshold right now"""
        start, end = _window(args)
        report = reports().hotspots(start, end)
        if wants("csv", args):
            rows = [{"kind": "alert", **alert} for alert in report["alerts"]]
            rows += [{"kind": "current", **burst} for burst in report["current"]]
            return csv_response(rows, HOTSPOT_COLUMNS, "hotspots")
        return report


@blp.route("/satisfaction")
class Satisfaction(MethodView):
    @requires("manager", "department")
    @blp.arguments(SatisfactionArgs, location="query", unknown=RAISE)
    @blp.response(200, SatisfactionReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Satisfaction at feedback and at the return visit, problems resolved, reply
        ratings and the reopen rate, per processing department, acceptance department or
        category, each rate beside its counts; departments see their own orders"""
        start, end = _window(args)
        department = confined_department(args.get("department"), "orders' satisfaction")
        report = reports().satisfaction(start, end, args["group_by"], department)
        if wants("csv", args):
            return grouped_csv(report, SATISFACTION_COLUMNS, f"satisfaction-{args['group_by']}")
        return report


def _window(args) -> tuple[datetime, datetime]:
    """The report's [from, to); a date is its midnight in the reports' time zone."""
    try:
        return reports().window(args.get("from_"), args.get("to"))
    except WindowInvalid as err:
        abort(422, description=str(err))


def _kpi_row(department: dict, kind: str) -> dict:
    month, year = department["month"] or {}, department["year"]
    lapses = department.get("timeliness") or {}
    return {"kind": kind, **{k: department.get(k) for k in (
                "department", "name", "city", "deduction_value", "ceiling")},
            "month": month.get("month"), "month_liable_complaints": month.get("liable_complaints"),
            "month_deduction": month.get("deduction"), "month_formula": month.get("formula"),
            "month_major_complaints": month.get("major_complaints"),
            "month_total_deduction": month.get("total_deduction"),
            "month_orders": month.get("orders"),
            "year_liable_complaints": year["liable_complaints"],
            "year_monthly_deductions": year["monthly_deductions"],
            "year_branch": year["branch"], "year_deduction": year["deduction"],
            "year_formula": year["formula"], "year_major_complaints": year["major_complaints"],
            "year_total_deduction": year["total_deduction"],
            "year_orders": year["orders"],
            "month_lapsed_orders": (lapses.get("month") or {}).get("lapsed_orders"),
            "year_lapsed_orders": (lapses.get("year") or {}).get("lapsed_orders")}




HANDLER_COLUMNS = ["staff_id", "name", "departments", "orders", "first_contact_resolutions",
                   "stages", "on_time",
                   "with_limit", "on_time_rate", "median_handling_seconds"]


@blp.route("/handlers")
class Handlers(MethodView):
    @requires("manager", "department")
    @blp.arguments(HandlerReportArgs, location="query", unknown=RAISE)
    @blp.response(200, HandlerReportSchema, description=AS_CSV)
    @blp.alt_response(200, schema=TEXT, content_type="text/csv", description=AS_CSV)
    def get(self, args):
        """Per handler (人均生产能力): orders and stages handled, on-time rate, median
        handling time; a department's supervisor sees its own department's people"""
        principal = current_principal()
        if principal.role == "department" and not principal.is_staff("supervisor"):
            abort(403, description="a department's figures per person are for its "
                                   "supervisors and managers")
        department = confined_department(args.get("department"), "handlers")
        start, end = _window(args)
        rows = handlers_report(reports().engine, start, end, department)
        if wants("csv", args):
            return csv_response(rows, HANDLER_COLUMNS, "handlers")
        return {"from": start, "to": end, "handlers": rows}


@blp.route("/endings")
class Endings(MethodView):
    @requires("manager")
    @blp.arguments(ReportWindowArgs, location="query", unknown=RAISE)
    @blp.response(200, EndingsReportSchema)
    def get(self, args):
        """Orders withdrawn by the customer or cancelled as duplicates, per acceptance
        department: counted apart, neither on time nor late"""
        start, end = _window(args)
        return work_orders().endings(start, end)


@blp.route("/contacts-due")
class ContactsDue(MethodView):
    @requires("manager", "department")
    @blp.response(200, ContactDueSchema(many=True))
    def get(self):
        """Open orders whose customer was not contacted as often as data/people.json
        asks (contacts.every), longest overdue first; a department sees the orders it
        accepted"""
        return case_log().contacts_due(confined_department(None, "orders"))
