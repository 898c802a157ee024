"""The satisfaction report over a generated history: orders worked end to end over HTTP
on the simulated clock, their feedback, return visits, reopenings and reply ratings
drawn at random (seeded); the report's figures per processing department, category
and in total must equal those counted by hand from what the history did."""
from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import timedelta

import pytest

from tests.api.conftest import act, another_phone, work
from tests.api.test_return_visits import complete, sampled_share

MINUTE = timedelta(minutes=1)
CATEGORIES = {
    "network_operations": ("network/no_signal/base_station",
                           {"location": "Xihu district, Hangzhou", "occurred_at": "2026-03-01"}),
    "billing": ("billing/payment/not_credited",
                {"payment_reference": "PAY-20260301", "disputed_amount": 50}),
}
RATINGS = ("satisfied", "neutral", "dissatisfied")
ORDERS = 40


class Expected:
    """The figures of one group, counted the plain way."""

    def __init__(self) -> None:
        self.c: dict[str, int] = defaultdict(int)
        self.fed_back: set[str] = set()
        self.reopened: set[str] = set()
        self.ratings: list[int] = []

    def feedback(self, number: str, reached: bool, satisfaction: str) -> None:
        self.c["feedbacks"] += 1
        self.fed_back.add(number)
        if reached:
            self.c["feedback_reached"] += 1
            self.c["feedback_rated"] += satisfaction in RATINGS
            self.c["feedback_satisfied"] += satisfaction == "satisfied"
            self.c["feedback_dissatisfied"] += satisfaction == "dissatisfied"

    def visit(self, number: str, reached: bool, resolved: bool, satisfaction: str) -> None:
        self.c["visits"] += 1
        if reached:
            self.c["visits_reached"] += 1
            self.c["visits_resolved"] += resolved
            self.c["visits_rated"] += 1
            self.c["visits_satisfied"] += satisfaction == "satisfied"
            self.c["visits_dissatisfied"] += satisfaction == "dissatisfied"
            if not resolved or satisfaction == "dissatisfied":
                self.c["reopens"] += 1
                self.reopened.add(number)

    def figures(self) -> dict:
        c = self.c

        def share(part, whole):
            return round(part / whole, 4) if whole else None

        names = ("feedbacks", "feedback_reached", "feedback_rated", "feedback_satisfied",
                 "feedback_dissatisfied", "visits", "visits_reached", "visits_resolved",
                 "visits_rated", "visits_satisfied", "visits_dissatisfied", "reopens")
        return {**{name: c[name] for name in names},
                "feedback_satisfaction_rate": share(c["feedback_satisfied"],
                                                    c["feedback_rated"]),
                "visit_satisfaction_rate": share(c["visits_satisfied"], c["visits_rated"]),
                "visit_resolved_rate": share(c["visits_resolved"], c["visits_reached"]),
                "orders_fed_back": len(self.fed_back),
                "orders_reopened": len(self.reopened),
                "reopen_rate": share(len(self.reopened), len(self.fed_back)),
                "reply_ratings": len(self.ratings),
                "reply_rating_average": (round(sum(self.ratings) / len(self.ratings), 4)
                                         if self.ratings else None)}


@pytest.fixture
def history(client, api_clock):
    """ORDERS orders worked to their end; what was expected of each group."""
    sampled_share(client, 0)
    draw = random.Random(14)
    start = api_clock.now()
    expected: dict[str, dict[str, Expected]] = {
        "department": defaultdict(Expected), "category": defaultdict(Expected),
        "total": defaultdict(Expected)}

    def count(department: str, category: str, what: str, *args) -> None:
        for grouping, key in (("department", department), ("category", category),
                              ("total", "total")):
            getattr(expected[grouping][key], what)(*args)

    for _ in range(ORDERS):
        department = draw.choice(sorted(CATEGORIES))
        category, key_fields = CATEGORIES[department]
        tier = "vip" if draw.random() < 0.25 else "ordinary"
        # Each order its own customer: no repeat (which the table would call back).
        number = client.submit(category=category, key_fields=key_fields,
                               customer_tier=tier, customer_phone=another_phone())["number"]
        api_clock.advance(3 * MINUTE)
        work(client, number, "front_desk", {"processing_department": department},
             stage="dispatch")
        reopen_round = False
        while True:
            work(client, number, department, stage="handle")
            work(client, number, department, stage="return_result")
            audit = {"approved": True}
            if draw.random() < 0.5:
                audit["reply_rating"] = draw.randint(1, 5)
                for grouping, key in (("department", department), ("category", category),
                                      ("total", "total")):
                    expected[grouping][key].ratings.append(audit["reply_rating"])
            if "reply_rating" in audit and draw.random() < 0.5:  # the audit operation
                act(client, number, "front_desk", "audit", **audit)
            else:
                work(client, number, "front_desk", audit, stage="audit")
            reached = reopen_round or draw.random() < 0.85
            satisfaction = ("satisfied" if reopen_round else
                            draw.choice(RATINGS) if reached else "unknown")
            complete(client, number, "front_desk", {
                "customer_reached": reached, "satisfaction": satisfaction,
                "liable_department": department, "liable_cause": "network_fault",
                "justified": True})
            count(department, category, "feedback", number, reached, satisfaction)
            if not (not reached or satisfaction == "dissatisfied" or tier == "vip"):
                break  # the table calls no one else back (sampling off, no repeats)
            api_clock.advance(timedelta(hours=2))
            visit_reached = reopen_round or draw.random() < 0.8
            resolved = reopen_round or draw.random() < 0.7
            visit_satisfaction = "satisfied" if reopen_round else draw.choice(RATINGS)
            visit = {"visit_reached": visit_reached}
            if visit_reached:
                visit.update(visit_resolved=resolved, visit_satisfaction=visit_satisfaction,
                             reason="Still wrong.")
            complete(client, number, "front_desk", visit)
            count(department, category, "visit", number, visit_reached, resolved,
                  visit_satisfaction)
            if not (visit_reached and (not resolved or visit_satisfaction == "dissatisfied")):
                break
            reopen_round = True
        assert client.order(number)["status"] == "closed"
        api_clock.advance(7 * MINUTE)
    return start, api_clock.now() + MINUTE, expected


def report(client, start, end, as_="manager", **query):
    response = client.get("/api/v1/reports/satisfaction", as_, query_string={
        "from": start.isoformat(), "to": end.isoformat(), **query})
    assert response.status_code == 200, response.get_json()
    return response


def figures(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("group", "name")}


def test_the_report_matches_the_history(client, history):
    start, end, expected = history
    total = expected["total"]["total"].figures()
    assert total["reopens"] > 0 and total["visits"] > 0  # the history shows each rule
    for grouping in ("department", "category"):
        body = report(client, start, end, group_by=grouping).json
        assert {row["group"]: figures(row) for row in body["groups"]} == {
            key: group.figures() for key, group in expected[grouping].items()}
        assert figures(body["total"]) == total
    by_acceptance = report(client, start, end, group_by="acceptance_department").json
    assert [row["group"] for row in by_acceptance["groups"]] == ["front_desk"]
    assert figures(by_acceptance["groups"][0]) == total


def test_the_terminal_report_shows_the_totals(app, client, history):
    start, end, expected = history
    wanted = expected["total"]["total"].figures()
    printed = app.test_cli_runner().invoke(args=[
        "report", "satisfaction", "--from", start.isoformat(), "--to", end.isoformat()])
    assert printed.exit_code == 0, printed.output
    [total] = [line.split() for line in printed.output.splitlines()
               if line.startswith("total")]
    assert total[1] == str(wanted["orders_fed_back"])
    assert total[6] == str(wanted["orders_reopened"])
    assert total[8] == f"{wanted['reply_rating_average']:.2f}"


def test_the_csv_carries_the_same_figures(client, history):
    start, end, expected = history
    response = report(client, start, end, format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    [total] = [row for row in rows if row["group"] == "total"]
    wanted = expected["total"]["total"].figures()
    assert int(total["reopens"]) == wanted["reopens"]
    assert int(total["orders_fed_back"]) == wanted["orders_fed_back"]
    assert float(total["feedback_satisfaction_rate"]) == wanted["feedback_satisfaction_rate"]


def test_a_department_sees_its_own_orders(client, history):
    start, end, expected = history
    own = report(client, start, end, as_="billing").json
    assert [row["group"] for row in own["groups"]] == ["billing"]
    assert figures(own["total"]) == expected["department"]["billing"].figures()
    other = client.get("/api/v1/reports/satisfaction", "billing",
                       query_string={"department": "network_operations"})
    assert other.status_code == 403
    assert client.get("/api/v1/reports/satisfaction", "crm").status_code == 403
