"""Reports as CSV, for a spreadsheet: UTF-8 with a byte-order mark (Excel reads the
Chinese names right), and no cell that a spreadsheet would run as a formula."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def wants(kind: str, args: dict[str, Any]) -> bool:
    """Whether the caller asked for `kind` ("csv", "svg") by `format=` or Accept."""
    if args.get("format"):
        return args["format"] == kind
    mimetype = {"csv": "text/csv", "svg": "image/svg+xml"}[kind]
    accepted = request.accept_mimetypes
    return accepted.best_match(["application/json", mimetype]) == mimetype \
        and accepted[mimetype] > accepted["application/json"]


def grouped_csv(report: dict[str, Any], columns: list[str], name: str) -> Response:
    """A report of `groups` and their `total` as CSV: a row per group, the total last."""
    return csv_response([*report["groups"], report["total"]], columns, name)


def csv_response(rows: Iterable[dict[str, Any]], columns: list[str], name: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):  # order numbers, departments: one cell
        return " ".join(_cell(item) for item in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
