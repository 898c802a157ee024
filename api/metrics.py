"""`/metrics` in the Prometheus text format.

Request latency is a histogram by endpoint; under gunicorn (PROMETHEUS_MULTIPROC_DIR
set, as prometheus-client's multiprocess mode asks) every worker process writes its
samples to that folder and a scrape adds them up. Everything else is read from the
database at scrape time, so every process answers the same: timer lag, outbox backlog,
deliveries by state and failing subscriptions, e-mail and SMS by channel and state,
open incidents by kind, lapses by kind and rungs fired by rung, open orders by flow."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REQUEST_SECONDS = Histogram(
    "workorders_http_request_duration_seconds", "HTTP request latency by endpoint",
    ["method", "endpoint", "status"])

blp = Blueprint("metrics", __name__)


def install(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.get("metrics_started")
        if started is not None:
            # The route's name, not its path: /work-orders/<number> is one series.
            endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
            REQUEST_SECONDS.labels(request.method, endpoint, str(response.status_code)
                                   ).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(blp)


@blp.route("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_RequestMetrics())
    registry.register(_DatabaseFigures())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _RequestMetrics(Collector):
    """This process's request histogram (without multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REQUEST_SECONDS.collect()


class _DatabaseFigures(Collector):
    def collect(self) -> Iterator[Metric]:
        figures = current_app.extensions["integrations"].figures()
        yield _gauge("workorders_timer_lag_seconds",
                     "Now minus the due time of the oldest due, unfired timer (0: none)",
                     figures.timer_lag_seconds)
        yield _gauge("workorders_outbox_backlog", "Outbox events not yet dispatched",
                     figures.outbox_backlog)
        deliveries = GaugeMetricFamily("workorders_webhook_deliveries",
                                       "Webhook deliveries by state", labels=["state"])
        for state, count in sorted(figures.deliveries.items()):
            deliveries.add_metric([state], count)
        yield deliveries
        yield _gauge("workorders_webhook_failing_subscriptions",
                     "Subscriptions whose last delivery failed",
                     figures.failing_subscriptions)
        yield _counter("workorders_webhook_delivery_failures",
                       "Failed delivery attempts (of deliveries kept)",
                       figures.delivery_failures)
        incidents = GaugeMetricFamily("workorders_incidents_open", "Open incidents by kind",
                                      labels=["kind"])
        for kind, count in sorted(figures.incidents.items()):
            incidents.add_metric([kind], count)
        yield incidents
        lapses = CounterMetricFamily("workorders_lapses", "Limits lapsed, by kind",
                                     labels=["kind"])
        for kind, count in sorted(figures.lapses.items()):
            lapses.add_metric([kind], count)
        yield lapses
        rungs = CounterMetricFamily("workorders_rungs_fired",
                                    "Escalation-ladder rungs fired, by rung and limit kind",
                                    labels=["rung", "limit_kind"])
        for (rung, limit_kind), count in sorted(figures.rungs_fired.items()):
            rungs.add_metric([rung, limit_kind], count)
        yield rungs
        messages = GaugeMetricFamily("workorders_outgoing_messages",
                                     "E-mail and SMS messages by channel and state",
                                     labels=["channel", "state"])
        for (channel, state), count in sorted(figures.messages.items()):
            messages.add_metric([channel, state], count)
        yield messages
        orders = GaugeMetricFamily("workorders_open_orders", "Open work orders by flow",
                                   labels=["flow"])
        for flow, count in sorted(figures.open_orders.items()):
            orders.add_metric([flow], count)
        yield orders


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)
