"""decide(): the draw that picks a sampled share is fixed per instance and spread evenly
across instances; a table's inputs are the names its input expressions read."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from engine.definitions.decisions import decision_source, parse_decision
from engine.runtime.flow_decisions import input_names, sample_draw
from tests.conftest import ROOT

START = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)


def instance(started_at: datetime, key: str = "one_department") -> SimpleNamespace:
    return SimpleNamespace(definition_key=key, started_at=started_at)


def test_the_draw_is_the_same_whichever_database_read_the_start_back():
    aware = sample_draw(instance(START))
    assert 0 <= aware < 100
    assert sample_draw(instance(START.replace(tzinfo=None))) == aware  # SQLite: naive UTC
    shanghai = START.astimezone(ZoneInfo("Asia/Shanghai"))
    assert sample_draw(instance(shanghai)) == aware


def test_the_draws_spread_evenly():
    draws = [sample_draw(instance(START + timedelta(seconds=7 * n))) for n in range(5000)]
    sampled = sum(draw < 10 for draw in draws) / len(draws)
    assert 0.08 < sampled < 0.12
    assert len(set(draws)) == 100


def test_the_inputs_of_the_return_visit_table():
    table = (ROOT / "processes" / "return_visit.dmn").read_bytes()
    decision = parse_decision(decision_source("return_visit.dmn", table))
    assert input_names(decision) == {"customer_reached", "satisfaction", "resolved",
                                     "customer_tier", "upgraded", "repeat_count",
                                     "sample_draw"}
