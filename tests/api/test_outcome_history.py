"""A generated history of 240 orders over two months (issue 14), driven through HTTP on
the simulated clock, whose first-contact, repeat, upgrade and KPI figures must match the
figures computed here by hand from what the history did: the KPI's three year-end
branches on company-liable upgraded complaints included (billing within its ceiling,
network operations above it, the provincial support centre past the 10-point cap)."""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engine import SimulatedClock
from tests.api.conftest import TO_NETWORK, Client, act, build_app, dispose, visit_back, work

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ORDERS = 240
STEP = timedelta(hours=6)
WINDOW = timedelta(days=30)  # data/settings.json repeats.window
PHONES = [f"1390000{n:04d}" for n in range(100)]
ACCEPTING = ("front_desk", "provincial_service_desk")
UPGRADE_CHANNELS = ("regulator", "consumer_association", "group_headquarters")
# The liable judgments, in the order of the upgraded orders: department, how many.
LIABLE = [("provincial_support_centre", 25), ("network_operations", 12), ("billing", 5)]
NOT_LIABLE = 10
REVISED = 3  # of network's: first judged the support centre's, then revised
MAJOR_EVERY = 9  # every 9th liable judgment caused a major complaint


@dataclass
class History:
    orders: list[dict] = field(default_factory=list)  # number, at, phone, desk, kind...
    repeats: dict[str, int] = field(default_factory=dict)
    judgments: dict[str, tuple[str | None, datetime, bool]] = field(default_factory=dict)

    def month(self, moment: datetime) -> str:
        return f"{moment.astimezone(SHANGHAI):%Y-%m}"


def close(client, number: str, desk: str, transfer: bool) -> None:
    work(client, number, desk, TO_NETWORK)
    handler = "network_operations"
    if transfer:
        act(client, number, handler, "transfer", to_department="billing", reason="Billing")
        handler = "billing"
    for stage in ("handle", "return_result"):
        work(client, number, handler, stage=stage)
    for stage in ("audit", "feedback"):
        work(client, number, desk, stage=stage)
    # A repeat (or sampled) order is called back by its desk; solved and satisfied, it
    # closes without a reopening and keeps its first-time resolution.
    visit_back(client, number, desk)


@pytest.fixture(scope="module")
def made(module_database_url):
    """The app (its clock starting in January) and the history, built once for the
    module's tests, which only read it."""
    clock = SimulatedClock(START)
    app, tokens = build_app(module_database_url, clock)
    client = Client(app.test_client(), tokens)
    yield client, generate(client, clock)
    dispose(app)


@pytest.fixture
def client(made) -> Client:
    return made[0]


@pytest.fixture
def history(made) -> History:
    return made[1]


def generate(client: Client, api_clock: SimulatedClock) -> History:
    rng = random.Random(14)
    made = History()
    seen: dict[str, list[datetime]] = defaultdict(list)
    for index in range(ORDERS):
        now = api_clock.now()
        phone, desk = rng.choice(PHONES), ACCEPTING[index % 2]
        upgraded = index % 4 == 3
        kind = ("upgraded" if upgraded else "on_the_spot" if index % 8 == 0
                else "first_time" if index % 8 in (2, 6) else "transferred" if index % 8 == 4
                else "open")
        fields = {"customer_phone": phone, "acceptance_department": desk,
                  "channel": UPGRADE_CHANNELS[index % 3] if upgraded else "hotline"}
        if kind == "on_the_spot":
            fields["resolved_on_the_spot"] = {"answer": "Explained on the call."}
        order = client.submit(**fields)
        if kind in ("first_time", "transferred"):
            close(client, order["number"], desk, transfer=kind == "transferred")
        made.repeats[order["number"]] = sum(1 for t in seen[phone] if t > now - WINDOW)
        seen[phone].append(now)
        made.orders.append({"number": order["number"], "at": now, "desk": desk,
                            "kind": kind, "phone": phone, "channel": fields["channel"]})
        api_clock.advance(STEP)

    upgraded = [o for o in made.orders if o["kind"] == "upgraded"]
    plan = [department for department, count in LIABLE for _ in range(count)]
    plan += [None] * NOT_LIABLE
    for position, (order, department) in enumerate(zip(upgraded, plan, strict=False)):
        judged_at = order["at"] + timedelta(days=2)
        major = department is not None and position % MAJOR_EVERY == 0
        revised = department == "network_operations" and position < 25 + REVISED
        if revised:  # first judged against another department, then revised
            judge(client, order["number"], True, "provincial_support_centre",
                  order["at"] + timedelta(days=1), False)
        judge(client, order["number"], department is not None, department, judged_at, major)
        made.judgments[order["number"]] = (department, judged_at, major)
    return made


def judge(client, number: str, liable: bool, department: str | None, at: datetime,
          major: bool) -> None:
    body = {"liable": liable, "judged_at": at.isoformat()}
    if liable:
        body.update(departments=[department], cause="network_quality", major=major)
    response = client.post(f"/api/v1/work-orders/{number}/liability", "manager", json=body)
    assert response.status_code == 200, response.json


def get(client, report: str, **query) -> dict:
    response = client.get(f"/api/v1/reports/{report}", "manager", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


WHOLE = {"from": "2026-01-01", "to": "2026-04-01"}


def test_first_contact_resolution_matches_the_history(client, history):
    for group_by, key in (("acceptance_department", lambda o: o["desk"]),
                          ("month", lambda o: history.month(o["at"]))):
        expected: dict[str, Counter] = defaultdict(Counter)
        for order in history.orders:
            if order["kind"] in ("on_the_spot", "first_time", "transferred"):
                expected[key(order)][order["kind"]] += 1
        groups = {g["group"]: g for g in get(client, "first-contact", group_by=group_by,
                                             **WHOLE)["groups"]}
        assert set(groups) == set(expected)
        for name, counts in expected.items():
            closed = sum(counts.values())
            resolved = counts["on_the_spot"] + counts["first_time"]
            row = groups[name]
            assert (row["closed"], row["on_the_spot"], row["first_time"], row["rate"]) == (
                closed, counts["on_the_spot"], counts["first_time"], ratio(resolved, closed))
            assert len(row["not_first_time_orders"]) == counts["transferred"]


def test_repeats_match_the_history(client, history):
    listed = {}
    page = 1
    while True:
        body = client.get("/api/v1/work-orders", "manager",
                          query_string={"per_page": 100, "page": page}).json
        listed.update({o["number"]: o["repeat_count"] for o in body["items"]})
        if page * 100 >= body["total"]:
            break
        page += 1
    assert listed == history.repeats
    report = get(client, "repeats", group_by="month", **WHOLE)
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for order in history.orders:
        counts = expected[history.month(order["at"])]
        counts[0] += 1
        counts[1] += history.repeats[order["number"]] > 0
    assert {g["group"]: [g["orders"], g["repeats"]] for g in report["groups"]} == expected
    total_repeats = sum(1 for n in history.repeats.values() if n)
    assert (report["total"]["repeats"], report["total"]["rate"]) == (
        total_repeats, ratio(total_repeats, ORDERS))
    per_phone = Counter(o["phone"] for o in history.orders)
    assert report["churn_risk_customers"] == sum(1 for n in per_phone.values() if n >= 2)


def test_upgrades_match_the_history(client, history):
    report = get(client, "upgrades", **WHOLE)
    upgraded = [o["number"] for o in history.orders if o["kind"] == "upgraded"]
    liable = sum(count for _, count in LIABLE)
    assert (report["upgraded"], report["liable"], report["not_liable"],
            report["unjudged"]) == (len(upgraded), liable, NOT_LIABLE,
                                    len(upgraded) - liable - NOT_LIABLE)
    assert {r["department"]: r["count"] for r in report["by_department"]} == dict(LIABLE)
    assert {r["source"]: r["count"] for r in report["by_source"]} == Counter(
        o["channel"] for o in history.orders if o["kind"] == "upgraded")
    assert report["by_cause"] == [{"cause": "network_quality", "name": report["by_cause"][0][
        "name"], "count": liable, "orders": report["liable_orders"]}]


def test_the_kpi_matches_the_history_in_each_year_end_branch(client, history):
    values = {"provincial_support_centre": Decimal("0.5"), "network_operations": Decimal("1.0"),
              "billing": Decimal("0.8")}
    ceilings = {"provincial_support_centre": 12, "network_operations": 8, "billing": 12}
    by_month: dict[str, Counter] = defaultdict(Counter)
    majors: Counter = Counter()
    for department, judged_at, major in history.judgments.values():
        if department is not None:
            by_month[department][judged_at.astimezone(SHANGHAI).month] += 1
            majors[department] += major
    report = get(client, "kpi", year=2026)
    figures = {d["department"]: d for d in report["departments"]}
    expected_branches = {"billing": "within_ceiling", "network_operations": "above_ceiling",
                         "provincial_support_centre": "capped"}
    for department, branch in expected_branches.items():
        year = figures[department]["year"]
        count = sum(by_month[department].values())
        assert (year["liable_complaints"], year["branch"]) == (count, branch)
        if branch == "within_ceiling":
            deduction = values[department] * count * Decimal("0.1")
        else:
            deduction = min(Decimal(5) + Decimal("0.5") * (count - ceilings[department]),
                            Decimal(10))
        assert Decimal(str(year["deduction"])) == deduction
        assert year["major_complaints"] == majors[department]
        assert Decimal(str(year["total_deduction"])) == deduction + majors[department]
        assert len(year["orders"]) == count
        for month in (1, 2, 3):
            row = year["months"][month - 1]
            assert row["liable_complaints"] == by_month[department][month]
            assert Decimal(str(row["deduction"])) == values[department] * by_month[
                department][month]
    assert (sum(by_month["billing"].values()), sum(by_month["network_operations"].values()),
            sum(by_month["provincial_support_centre"].values())) == (5, 12, 25)
    # A month on its own: February.
    february = get(client, "kpi", year=2026, month=2)
    for department in expected_branches:
        [row] = [d for d in february["departments"] if d["department"] == department]
        assert row["month"]["liable_complaints"] == by_month[department][2]
