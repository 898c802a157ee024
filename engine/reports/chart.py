"""The daily on-time rate per department as an SVG line chart a manager opens in a
browser (pygal draws it; no script is loaded from elsewhere, so it works offline)."""
from __future__ import annotations

from datetime import date

import pygal
from pygal.style import CleanStyle


def daily_on_time_svg(series: dict[str, list[tuple[date, float | None, int]]],
                      title: str) -> bytes:
    """One line per department: the share of its stages completed on time each day
    (a gap where it completed none)."""
    chart = pygal.Line(
        title=title, js=[], style=CleanStyle, width=1000, height=520, range=(0, 100),
        y_title="on time (%)", x_label_rotation=30, show_minor_x_labels=False,
        legend_at_bottom=True, legend_at_bottom_columns=3, truncate_legend=-1,
        value_formatter=lambda value: f"{value:.1f}%", dots_size=2, allow_interruptions=True)
    days = next(iter(series.values()), [])
    chart.x_labels = [day.isoformat() for day, _rate, _count in days]
    chart.x_labels_major = chart.x_labels[::max(1, len(days) // 10)]
    for department, points in series.items():
        chart.add(department, [None if rate is None else round(rate * 100, 1)
                               for _day, rate, _count in points])
    if not series:
        chart.no_data_text = "No stages completed in this period"
    return chart.render()
