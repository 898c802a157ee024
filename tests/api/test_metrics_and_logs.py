"""/metrics parses with Prometheus' own text parser and moves when orders move; every
request has an id, answered in a header, logged, and written on the timeline rows it
causes; no token and no full phone number reaches a log."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from api.request_log import JsonFormatter
from tests.api.conftest import TO_NETWORK, work


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_parse_and_move_when_orders_move(client, api_clock, engine):
    before = scrape(client)
    assert before[("workorders_timer_lag_seconds", ())] == 0
    assert ("workorders_open_orders", (("flow", "one_department"),)) not in before
    number = client.submit()["number"]
    api_clock.advance(timedelta(minutes=20))  # the dispatch's 15 minutes have passed
    during = scrape(client)
    assert during[("workorders_open_orders", (("flow", "one_department"),))] == 1
    assert during[("workorders_timer_lag_seconds", ())] > 0
    assert during[("workorders_outbox_backlog", ())] > before[("workorders_outbox_backlog", ())]
    posted = ("workorders_http_request_duration_seconds_count",
              (("endpoint", "/api/v1/work-orders"), ("method", "POST"), ("status", "201")))
    assert during[posted] == before.get(posted, 0) + 1

    engine.timers.fire_due_timers("w1")
    fired = scrape(client)
    assert fired[("workorders_timer_lag_seconds", ())] == 0
    assert fired[("workorders_lapses_total", (("kind", "stage_overdue"),))] == 1
    rung = "workorders_rungs_fired_total"
    assert {labels: value for (name, labels), value in fired.items() if name == rung} == {
        (("limit_kind", "stage"), ("rung", "warning")): 1,
        (("limit_kind", "stage"), ("rung", "breach")): 1}
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    for stage in ("handle", "return_result"):
        work(client, number, "network_operations", stage=stage)
    for stage in ("audit", "feedback"):
        work(client, number, "front_desk", stage=stage)
    closed = scrape(client)
    assert ("workorders_open_orders", (("flow", "one_department"),)) not in closed
    assert closed[("workorders_outbox_backlog", ())] > fired[("workorders_outbox_backlog", ())]


def test_a_request_id_is_answered_and_written_on_the_timeline(client, api_clock, engine):
    response = client.post("/api/v1/work-orders", "crm",
                           json=client_order(), headers={"X-Request-Id": "crm-req-00042"})
    assert response.status_code == 201
    assert response.headers["X-Request-Id"] == "crm-req-00042"
    number = response.get_json()["number"]
    own = client.get(f"/api/v1/work-orders/{number}", "manager")
    generated = own.headers["X-Request-Id"]
    assert len(generated) == 32 and generated != "crm-req-00042"
    # A header that is no sane id is replaced, not echoed.
    odd = client.get("/api/v1/categories", "crm", headers={"X-Request-Id": "a b c d e"})
    assert odd.headers["X-Request-Id"] != "a b c d e"
    assert client.get("/api/v1/work-orders", headers={"X-Request-Id": "x" * 10}).headers[
        "X-Request-Id"] == "x" * 10  # a 401 carries it too
    timeline = own.get_json()["timeline"]
    assert {e["request_id"] for e in timeline} == {"crm-req-00042"}
    api_clock.advance(timedelta(minutes=20))
    engine.timers.fire_due_timers("w1")
    lapses = client.order(number)["lapses"]
    assert [e["request_id"] for e in lapses] == [None]  # a worker's, no request's


def client_order() -> dict:
    from tests.api.conftest import ORDER
    return dict(ORDER)


def test_request_logs_carry_the_id_and_no_token_or_phone_number(client, caplog):
    caplog.set_level(logging.INFO, logger="api.requests")
    token = client.tokens["manager"]
    response = client.get("/api/v1/work-orders", "manager",
                          query_string={"phone": "13912345678"},
                          headers={"X-Request-Id": "search-0001"})
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "api.requests"]
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "search-0001" and entry["status"] == 200
    assert entry["principal"] == "manager"
    assert "139****5678" in entry["message"]
    for text in (line, caplog.text):
        assert "13912345678" not in text and token not in text


def test_metrics_give_incidents_by_kind_order_lapses_rungs_and_messages(
        client, app, api_clock, engine):
    from engine.integrations.channels import SmtpChannel
    from engine.runtime.incidents import RetryPolicy
    from tests.api.conftest import free_port
    from tests.api.webhook_helpers import allow_loopback, deliver_all, subscribe

    before = scrape(client)
    for kind in ("timer", "delivery", "message"):  # every kind, before any is open
        assert before[("workorders_incidents_open", (("kind", kind),))] == 0
    assert before[("workorders_lapses_total", (("kind", "order_overdue"),))] == 0
    once = RetryPolicy(max_attempts=1, first_delay=timedelta(seconds=10),
                       max_delay=timedelta(minutes=1))
    integrations = allow_loopback(app, retry=once, timeout_seconds=2)
    nobody = free_port()  # nothing listens: every delivery and e-mail fails
    integrations.people.channels = {"email": SmtpChannel("127.0.0.1", nobody, timeout=2)}
    subscribe(client, f"http://127.0.0.1:{nobody}/hooks", ["order_submitted"])
    client.submit(urgency="urgent")  # its order deadline: 12 h
    api_clock.advance(timedelta(hours=13))
    engine.timers.fire_due_timers("w1")
    deliver_all(integrations)

    after = scrape(client)
    assert after[("workorders_lapses_total", (("kind", "order_overdue"),))] == 1
    for rung in ("order_warning", "order_breach"):
        key = ("workorders_rungs_fired_total", (("limit_kind", "order"), ("rung", rung)))
        assert after[key] == 1
    assert after[("workorders_incidents_open", (("kind", "delivery"),))] == 1
    assert after[("workorders_incidents_open", (("kind", "timer"),))] == 0
    dead_mail = after[("workorders_outgoing_messages", (("channel", "email"), ("state", "dead")))]
    assert dead_mail > 0
    assert after[("workorders_incidents_open", (("kind", "message"),))] == dead_mail
    assert after[("workorders_outgoing_messages",
                  (("channel", "email"), ("state", "sent")))] == 0
