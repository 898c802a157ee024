"""The reports over HTTP: JSON and CSV agree, the chart opens, windows and parameters
are checked, departments see only their own stages at risk; hotspot alerts; the CLI."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from lxml import etree

from tests.api.conftest import ORDER, TO_NETWORK, another_phone, notifications, work

MINUTE = timedelta(minutes=1)
RING_BACK_COPY = {"category": "ring_back_tone/copy_failed/platform_fault",
                  "key_fields": {"tone_code": "600012", "operation_time": "2026-03-02"}}


def report(client, path: str, as_: str = "manager", **query):
    response = client.get(f"/api/v1/reports/{path}", as_, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response


def rows(response) -> list[dict]:
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.fixture
def small_history(client, api_clock, engine):
    """Three orders from 08:00. Network operations handles two: one in 60 minutes (on
    time; then audited and closed), one in 150 (late; its audit still open). The third
    waits at dispatch, past its limit. Three customers: a repeat would be called back
    (a return visit open at front_desk) instead of closing."""
    numbers = [client.submit(customer_phone=another_phone())["number"] for _ in range(3)]
    api_clock.advance(5 * MINUTE)
    for number in numbers[:2]:
        work(client, number, "front_desk", TO_NETWORK)
    api_clock.advance(60 * MINUTE)
    for stage in ("handle", "return_result"):
        work(client, numbers[1], "network_operations", stage=stage)
    for stage in ("audit", "feedback"):
        work(client, numbers[1], "front_desk", stage=stage)
    api_clock.advance(90 * MINUTE)
    for stage in ("handle", "return_result"):
        work(client, numbers[0], "network_operations", stage=stage)
    api_clock.advance(MINUTE)  # 10:36
    engine.timers.fire_due_timers("worker")
    return numbers


def test_timeliness_as_json_and_csv(client, small_history):
    window = {"from": "2026-03-02", "to": "2026-03-03"}  # Shanghai dates
    body = report(client, "timeliness", group_by="department", **window).get_json()
    groups = {g["group"]: g for g in body["groups"]}
    network = groups["network_operations"]
    assert (network["stages_completed"], network["on_time"], network["breached"]) == (4, 3, 1)
    assert network["on_time_rate"] == 0.75 and network["orders"] == 2
    front = groups["front_desk"]
    assert (front["stages_completed"], front["open"], front["open_overdue"]) == (4, 2, 1)
    assert body["from"] == "2026-03-01T16:00:00+00:00"  # midnight in Shanghai
    for csv_rows in (rows(report(client, "timeliness", format="csv", **window)),
                     rows(client.get("/api/v1/reports/timeliness", "manager",
                                     query_string=window, headers={"Accept": "text/csv"}))):
        assert [r["group"] for r in csv_rows] == [*sorted(groups), "total"]
        by_group = {r["group"]: r for r in csv_rows}
        assert by_group["network_operations"]["on_time_rate"] == "0.75"
        assert by_group["total"]["stages_completed"] == str(body["total"]["stages_completed"])


def test_reports_check_their_parameters(client):
    def problem(path, **query):
        response = client.get(f"/api/v1/reports/{path}", "manager", query_string=query)
        assert response.status_code == 422, response.get_json()
        return response.get_json()

    assert "before" in problem("timeliness", **{"from": "2026-03-05", "to": "2026-03-01"})[
        "detail"]
    assert "at most" in problem("timeliness", **{"from": "2024-01-01", "to": "2026-01-01"})[
        "detail"]
    assert {e["field"] for e in problem("timeliness", group_by="colour", x=1)["errors"]} == {
        "query.group_by", "query.x"}
    assert problem("timeliness", **{"from": "2026-13-01"})["errors"][0]["field"] == \
        "query.from"
    assert problem("kpi")["errors"][0]["field"] == "query.year"
    assert problem("kpi", year=2026, month=13)["errors"][0]["field"] == "query.month"
    assert problem("at-risk", sort="colour")["errors"][0]["field"] == "query.sort"
    assert problem("on-time-daily", format="png")["errors"][0]["field"] == "query.format"


@pytest.mark.parametrize(("path", "department_status"), [
    ("timeliness", 403), ("on-time-daily", 403), ("kpi?year=2026", 403), ("hotspots", 403),
    ("at-risk", 200),
])
def test_reports_are_for_managers(client, path, department_status):
    assert client.get(f"/api/v1/reports/{path}", "manager").status_code == 200
    assert client.get(f"/api/v1/reports/{path}", "admin").status_code == 200
    assert client.get(f"/api/v1/reports/{path}", "front_desk").status_code == \
        department_status
    assert client.get(f"/api/v1/reports/{path}", "crm").status_code == 403
    assert client.get(f"/api/v1/reports/{path}", "designer").status_code == 403
    assert client.get(f"/api/v1/reports/{path}").status_code == 401


def test_stages_at_risk_a_department_sees_its_own(client, small_history, api_clock):
    api_clock.advance(timedelta(minutes=5))
    everyone = report(client, "at-risk").get_json()
    assert everyone["threshold"] == 75.0
    assert [(i["business_key"], i["stage"], i["status"]) for i in everyone["items"]] == [
        (small_history[2], "dispatch", "breached")]
    assert report(client, "at-risk", "front_desk").get_json()["total"] == 1
    assert report(client, "at-risk", "billing").get_json()["total"] == 0
    assert client.get("/api/v1/reports/at-risk", "billing",
                      query_string={"department": "front_desk"}).status_code == 403
    [row] = rows(report(client, "at-risk", format="csv"))
    assert row["status"] == "breached" and float(row["seconds_left"]) < 0


def test_kpi_as_json_and_csv(client, small_history):
    body = report(client, "kpi", year=2026, month=3).get_json()
    figures = {d["department"]: d for d in body["departments"]}
    network = figures["network_operations"]  # its own figures in departments.json
    assert (network["deduction_value"], network["ceiling"]) == (1.0, 8)
    # Issue 14: lapses are no KPI input (no upgraded complaint was judged liable) but
    # a timeliness figure beside it, with the orders.
    assert {k: network["month"][k] for k in ("month", "liable_complaints", "deduction",
                                              "formula")} == {
        "month": "2026-03", "liable_complaints": 0, "deduction": 0.0,
        "formula": "1.0 x 0 = 0.0"}
    assert network["year"]["branch"] == "within_ceiling"
    assert network["year"]["deduction"] == 0
    assert network["timeliness"]["month"] == {"month": "2026-03", "lapsed_orders": 1,
                                              "orders": [small_history[0]]}
    front = figures["front_desk"]["timeliness"]["month"]
    assert front["orders"] == [small_history[2]]  # the open dispatch
    by_department = {r["department"]: r for r in rows(report(client, "kpi", year=2026,
                                                               month=3, format="csv"))}
    assert by_department["network_operations"]["year_branch"] == "within_ceiling"
    assert by_department["network_operations"]["month_liable_complaints"] == "0"
    assert by_department["network_operations"]["month_lapsed_orders"] == "1"


def test_the_daily_on_time_chart_opens(client, small_history):
    window = {"from": "2026-03-01", "to": "2026-03-04"}
    body = report(client, "on-time-daily", **window).get_json()
    assert [p["on_time_rate"] for p in body["departments"]["network_operations"]] == [
        None, 0.75, None]
    svg = report(client, "on-time-daily", format="svg", **window)
    assert svg.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = etree.fromstring(svg.get_data(), etree.XMLParser(resolve_entities=False))
    assert root.tag.endswith("svg") and "Network operations (网络部)" in svg.get_data(as_text=True)
    assert not root.xpath("//*[local-name()='script'][@href or @*[local-name()='href']]")
    csv_rows = rows(report(client, "on-time-daily", format="csv", **window))
    assert {(r["day"], r["on_time_rate"]) for r in csv_rows
            if r["department"] == "network_operations"} == {
        ("2026-03-01", ""), ("2026-03-02", "0.75"), ("2026-03-03", "")}


def test_a_burst_of_one_category_raises_one_alert(client, api_clock, engine):
    for _ in range(9):
        client.submit(**RING_BACK_COPY)
        api_clock.advance(5 * MINUTE)
    assert report(client, "hotspots").get_json()["alerts"] == []
    tenth = client.submit(**RING_BACK_COPY)["number"]  # 10 within the hour: the threshold
    client.submit(**RING_BACK_COPY)  # an 11th in the same window: no second alert
    body = report(client, "hotspots").get_json()
    [alert] = body["alerts"]
    assert (alert["rule"], alert["key"], alert["count"], alert["department"],
            alert["business_key"]) == ("ring_back_tone_copy", "ring_back_tone/copy_failed", 10,
                                       "branch_marketing_centre", tenth)
    assert [(b["rule"], b["count"]) for b in body["current"]] == [("ring_back_tone_copy", 11)]
    [told] = notifications(client, "branch_marketing_centre", event="hotspot")
    assert "10 complaints on ring_back_tone/copy_failed within PT1H" in told["message"]
    api_clock.advance(timedelta(hours=2))
    assert report(client, "hotspots").get_json()["current"] == []
    [row] = [r for r in rows(report(client, "hotspots", format="csv")) if r["kind"] == "alert"]
    assert row["business_key"] == tenth


def test_complaints_with_the_same_keywords_raise_an_alert(client, api_clock):
    for n in range(10):
        client.submit(content=f"手机报 stopped arriving ({n}).",
                      category="value_added/mobile_newspaper/not_delivered",
                      key_fields={"subscription_name": "Zhejiang Daily"})
        api_clock.advance(10 * MINUTE)
    [alert] = report(client, "hotspots").get_json()["alerts"]
    assert (alert["rule"], alert["key"], alert["department"]) == (
        "mobile_newspaper", "mobile_newspaper", "provincial_support_centre")


def test_flask_report_prints_the_same_figures(client, app, small_history, tmp_path):
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["report", "timeliness", "--from", "2026-03-02", "--to",
                                  "2026-03-03", "--group-by", "department"])
    assert printed.exit_code == 0, printed.output
    line = next(li for li in printed.output.splitlines()
                if li.startswith("network_operations"))
    assert line.split()[1:6] == ["2", "4", "3", "1", "75.0%"]
    kpi = runner.invoke(args=["report", "kpi", "--year", "2026", "--month", "3"])
    assert kpi.exit_code == 0 and "1.0 x 0 = 0.0" in kpi.output
    assert "lapsed orders (timeliness): month 1, year 1" in kpi.output
    chart = runner.invoke(args=["report", "chart", "--from", "2026-03-01", "--out",
                                str(tmp_path / "chart.svg")])
    assert chart.exit_code == 0, chart.output
    assert (tmp_path / "chart.svg").read_bytes().startswith(b"<?xml")
    bad = runner.invoke(args=["report", "timeliness", "--from", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_a_work_order_shows_each_departments_time_against_its_limit(
        client, api_clock, small_history):
    durations = client.order(small_history[0])["durations"]
    held = {(d["lane"], d["department"]): d for d in durations["departments"]}
    network = held[("Processing", "network_operations")]
    assert network["held_seconds"] == 150 * 60 and network["limit"] == "PT3H"
    assert network["within_limit"] is True
    [handle] = [s for s in durations["stages"] if s["stage"] == "handle"]
    assert (handle["held_seconds"], handle["limit"], handle["within_limit"]) == (
        150 * 60, "PT2H", False)
    assert ORDER["category"] == client.order(small_history[0])["category"]


@pytest.mark.parametrize("query", [
    {"from": "0001-01-01", "to": "0001-01-05"}, {"to": "0001-01-05"},
    {"from": "9999-12-01", "to": "9999-12-31T23:00:00+00:00"},
    {"from": "2026-03-01T08:00:00"},  # no zone
])
@pytest.mark.parametrize("path", ["timeliness", "hotspots", "on-time-daily"])
def test_dates_out_of_range_are_422(client, path, query):
    response = client.get(f"/api/v1/reports/{path}", "manager", query_string=query)
    assert response.status_code == 422, response.get_json()
    assert {e["field"] for e in response.json["errors"]} <= {"query.from", "query.to"}


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "1990-01-01"], "outside the years"),
    (["--from", "2026-01-01", "--to", "2027-06-01"], "at most 400 days"),
])
def test_the_cli_checks_its_window_as_the_api_does(app, args, message):
    result = app.test_cli_runner().invoke(args=["report", "timeliness", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_one_burst_across_the_hour_raises_one_alert(client, api_clock):
    api_clock.advance(50 * MINUTE)  # 08:50
    for _ in range(10):
        client.submit(**RING_BACK_COPY)
        api_clock.advance(MINUTE)
    api_clock.advance(MINUTE)  # 09:01
    client.submit(**RING_BACK_COPY)
    [alert] = report(client, "hotspots").get_json()["alerts"]
    assert alert["raised_at"] == "2026-03-02T08:59:00+00:00"
    # A burst an hour after the last alert raises a new one.
    api_clock.advance(timedelta(hours=1))
    client.submit(**RING_BACK_COPY)
    assert len(report(client, "hotspots").get_json()["alerts"]) == 1
    for _ in range(9):
        client.submit(**RING_BACK_COPY)
    assert len(report(client, "hotspots").get_json()["alerts"]) == 2


def test_keywords_match_whatever_the_case_in_any_script(client, app, api_clock):
    from engine.reference.settings import HotspotRule

    rules = (HotspotRule("anger", 3, timedelta(hours=1), keywords=("Ärger",)),)
    work_orders = app.extensions["work_orders"]
    app.extensions["work_orders"].settings = type(work_orders.settings)(
        work_orders.settings.work_orders, work_orders.settings.assessment, rules)
    for content in ("großer ärger", "ÄRGER wieder", "noch mehr ärger"):
        client.submit(content=content)
    [alert] = report(client, "hotspots").get_json()["alerts"]
    assert (alert["rule"], alert["count"]) == ("anger", 3)


def test_the_at_risk_csv_has_every_row(client, api_clock, engine):
    for _ in range(25):
        client.submit()
    api_clock.advance(timedelta(minutes=30))
    assert report(client, "at-risk").get_json()["total"] == 25
    assert len(rows(report(client, "at-risk", format="csv"))) == 25


def test_intakes_racing_to_the_threshold_raise_exactly_one_alert(client):
    from concurrent.futures import ThreadPoolExecutor

    def submit(_n):
        return client.of_its_own().post("/api/v1/work-orders", "crm",
                                        json={**ORDER, **RING_BACK_COPY})

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(submit, range(10)))
    assert sorted(r.status_code for r in responses) == [201] * 10
    [alert] = report(client, "hotspots").get_json()["alerts"]
    assert alert["count"] == 10


def test_a_stray_instance_is_no_work_order_in_any_report(client, generic, api_clock, engine):
    """Issue 13: an instance started through the generic engine API (here of a copy of
    one_department, which no routing rule names) has no work order. Its stages and
    lapses used to count in timeliness, the on-time chart, at-risk and the KPI."""
    number = client.submit()["number"]  # accepted by front_desk
    client.start("STRAY-1", acceptance_department="provincial_service_desk")
    api_clock.advance(20 * MINUTE)  # both dispatches 5 minutes past their limit
    engine.timers.fire_due_timers("worker")
    work(client, number, "front_desk", TO_NETWORK)
    work(client, "STRAY-1", "provincial_service_desk", TO_NETWORK)
    api_clock.advance(3 * 60 * MINUTE)  # both handling stages past theirs
    engine.timers.fire_due_timers("worker")
    stray = client.get("/api/v1/process-instances", "manager",
                       query_string={"business_key": "STRAY-1"}).get_json()["items"][0]
    lapses = client.get(f"/api/v1/process-instances/{stray['id']}/timeline",
                        "manager").get_json()["events"]
    assert {(e["type"], e["department"]) for e in lapses if e["type"].endswith("overdue")} \
        >= {("stage_overdue", "provincial_service_desk"),
            ("stage_overdue", "network_operations")}  # it lapsed as the order did

    window = {"from": "2026-03-02", "to": "2026-03-03"}
    by_flow = report(client, "timeliness", group_by="flow", **window).get_json()
    assert [g["group"] for g in by_flow["groups"]] == ["one_department"]
    assert (by_flow["total"]["orders"], by_flow["total"]["stages_completed"],
            by_flow["total"]["breached"], by_flow["total"]["open"]) == (1, 1, 1, 1)
    by_department = report(client, "timeliness", group_by="department", **window).get_json()
    assert [g["group"] for g in by_department["groups"]] == ["front_desk", "network_operations"]
    assert by_department["groups"][1]["open_overdue"] == 1
    by_category = report(client, "timeliness", group_by="category", **window).get_json()
    assert [g["group"] for g in by_category["groups"]] == [ORDER["category"]]
    daily = report(client, "on-time-daily", **window).get_json()["departments"]
    assert set(daily) == {"front_desk"}
    at_risk = report(client, "at-risk").get_json()
    assert [(i["business_key"], i["stage"]) for i in at_risk["items"]] == [(number, "handle")]
    kpi = {d["department"]: d["timeliness"]["month"]["lapsed_orders"]
           for d in report(client, "kpi", year=2026, month=3).get_json()["departments"]}
    assert (kpi["front_desk"], kpi["network_operations"], kpi["provincial_service_desk"]) == (
        1, 1, 0)


def test_a_list_of_order_numbers_is_one_csv_cell_and_no_item_runs_as_a_formula():
    from api.csv_export import csv_response

    body = csv_response([{"group": "front_desk", "orders": ["WO-1", "WO-2"]},
                         {"group": "billing", "orders": ["=HYPERLINK(1)", "WO-3"]},
                         {"group": "empty", "orders": []}],
                        ["group", "orders"], "orders").get_data(as_text=True)
    assert body.lstrip("\ufeff").splitlines() == [
        "group,orders", "front_desk,WO-1 WO-2", "billing,'=HYPERLINK(1) WO-3", "empty,"]
