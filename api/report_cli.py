"""`flask report ...`: the managers' reports in a terminal (and the chart as a file)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.reports import GROUPINGS, Reports
from engine.reports.satisfaction import GROUPINGS as SATISFACTION_GROUPINGS
from engine.reports.window import WindowInvalid, parse_moment


def _reports() -> Reports:
    return current_app.extensions["reports"]


def _window(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    try:
        return _reports().window(None if start is None else parse_moment(start),
                                 None if end is None else parse_moment(end))
    except WindowInvalid as err:
        raise click.BadParameter(str(err)) from None


@click.group("report")
def report_group() -> None:
    """Timeliness, satisfaction, KPI and chart reports."""


@report_group.command("timeliness")
@click.option("--from", "start", default=None, help="A date or ISO time (default: 30 days ago).")
@click.option("--to", "end", default=None, help="A date or ISO time, exclusive (default: now).")
@click.option("--group-by", default="department", show_default=True,
              type=click.Choice(GROUPINGS))
@with_appcontext
def timeliness_command(start: str | None, end: str | None, group_by: str) -> None:
    """Per group: orders, stages completed, on-time rate, breaches, open stages,
    duration percentiles, urges and transfers per order."""
    since, to = _window(start, end)
    report = _reports().timeliness(since, to, group_by)
    zone = _reports().time_zone
    click.echo(f"Timeliness by {group_by}, {since.astimezone(zone):%Y-%m-%d %H:%M} to "
               f"{to.astimezone(zone):%Y-%m-%d %H:%M} ({zone})")
    header = (f"{group_by:<28}{'orders':>7}{'done':>6}{'on time':>8}{'late':>6}{'rate':>7}"
              f"{'open':>6}{'over':>6}{'p50':>8}{'p90':>8}{'p95':>8}{'urges':>7}{'transf':>7}")
    click.echo(header)
    click.echo("-" * len(header))
    for row in [*report["groups"], report["total"]]:
        click.echo(f"{row['group'][:27]:<28}{row['orders']:>7}{row['stages_completed']:>6}"
                   f"{row['on_time']:>8}{row['breached']:>6}{_percent(row['on_time_rate']):>7}"
                   f"{row['open']:>6}{row['open_overdue']:>6}"
                   f"{_hours(row['duration_p50']):>8}{_hours(row['duration_p90']):>8}"
                   f"{_hours(row['duration_p95']):>8}{_number(row['urges_per_order']):>7}"
                   f"{_number(row['transfers_per_order']):>7}")


@report_group.command("satisfaction")
@click.option("--from", "start", default=None, help="A date or ISO time (default: 30 days ago).")
@click.option("--to", "end", default=None, help="A date or ISO time, exclusive (default: now).")
@click.option("--group-by", default="department", show_default=True,
              type=click.Choice(SATISFACTION_GROUPINGS))
@with_appcontext
def satisfaction_command(start: str | None, end: str | None, group_by: str) -> None:
    """Per group: feedback and return-visit satisfaction, problems solved, reopen rate
    and the mean reply rating."""
    since, to = _window(start, end)
    report = _reports().satisfaction(since, to, group_by)
    header = (f"{group_by:<28}{'fed back':>9}{'satisf.':>8}{'visits':>7}{'satisf.':>8}"
              f"{'solved':>8}{'reopened':>9}{'rate':>7}{'reply':>7}")
    click.echo(header)
    click.echo("-" * len(header))
    for row in [*report["groups"], report["total"]]:
        click.echo(f"{row['group'][:27]:<28}{row['orders_fed_back']:>9}"
                   f"{_percent(row['feedback_satisfaction_rate']):>8}{row['visits']:>7}"
                   f"{_percent(row['visit_satisfaction_rate']):>8}"
                   f"{_percent(row['visit_resolved_rate']):>8}{row['orders_reopened']:>9}"
                   f"{_percent(row['reopen_rate']):>7}"
                   f"{_number(row['reply_rating_average']):>7}")


@report_group.command("kpi")
@click.option("--year", required=True, type=click.IntRange(2000, 2200))
@click.option("--month", default=None, type=click.IntRange(1, 12))
@with_appcontext
def kpi_command(year: int, month: int | None) -> None:
    """Each department's monthly and year deductions, with their formulas."""
    report = _reports().kpi(year, month)
    click.echo(f"KPI deductions, {report['through']} ({report['time_zone']}): "
               "company-liable upgraded complaints")
    for department in report["departments"]:
        year_figures = department["year"]
        month_text = (f"month {department['month']['formula']}" if department["month"]
                      else "")
        click.echo(f"{department['department']:<28} value {department['deduction_value']} "
                   f"ceiling {department['ceiling']}  {month_text}")
        click.echo(f"{'':<28} year {year_figures['branch']}: {year_figures['formula']}"
                   + (f"; major +{year_figures['major_deduction']}"
                      if year_figures["major_complaints"] else ""))
        lapses = department["timeliness"]
        month_lapses = lapses["month"]["lapsed_orders"] if lapses["month"] else "-"
        click.echo(f"{'':<28} lapsed orders (timeliness): month {month_lapses}, "
                   f"year {lapses['year']['lapsed_orders']}")


@report_group.command("chart")
@click.option("--from", "start", default=None, help="A date or ISO time (default: 30 days ago).")
@click.option("--to", "end", default=None, help="A date or ISO time, exclusive (default: now).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The SVG file to write (open it in a browser).")
@with_appcontext
def chart_command(start: str | None, end: str | None, out: Path) -> None:
    """Write the daily on-time rate per department as an SVG chart."""
    since, to = _window(start, end)
    out.write_bytes(_reports().daily_on_time_chart(since, to))
    click.echo(f"wrote {out}")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
