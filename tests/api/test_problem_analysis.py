"""Seed 003's problem analysis (issue 14): categories ranked by volume with the cumulative
share (the main problems within the Pareto share, 80 %), and per category the
first-contact resolution rate, the median handling time and simple or difficult by the
thresholds of data/settings.json (FCR >= 85 %, median <= 24 h)."""
from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import TO_NETWORK, act, visit_back, work

HOUR = timedelta(hours=1)
TONE = {"category": "ring_back_tone/copy_failed/platform_fault",
        "key_fields": {"tone_code": "600012", "operation_time": "2026-03-02"}}
SIGNAL = {"category": "network/no_signal/base_station"}
BILLING = {"category": "billing/disputed_charge/data_charge",
           "key_fields": {"bill_month": "2026-02", "disputed_amount": 30}}


def close(client, number: str, *, transfer: bool) -> None:
    work(client, number, "front_desk", TO_NETWORK)
    handler = "network_operations"
    if transfer:
        act(client, number, handler, "transfer", to_department="billing", reason="Billing")
        handler = "billing"
    for stage in ("handle", "return_result"):
        work(client, number, handler, stage=stage)
    for stage in ("audit", "feedback"):
        work(client, number, "front_desk", stage=stage)
    visit_back(client, number)  # a repeat of the same number is called back, satisfied


def test_categories_ranked_with_their_share_fcr_median_and_class(client, api_clock):
    spot = {"answer": "Told the customer how to copy the tone."}
    tones = [client.submit(**TONE, resolved_on_the_spot=spot)["number"] for _ in range(5)]
    signals = [client.submit(**SIGNAL)["number"] for _ in range(3)]
    billing = client.submit(**BILLING)["number"]  # left open
    # Closed 1 h, 2 h and 30 h after submission; two of the three transferred.
    for number, wait, transfer in zip(signals, (1, 1, 28), (False, True, True), strict=True):
        api_clock.advance(wait * HOUR)
        close(client, number, transfer=transfer)

    report = client.get("/api/v1/reports/problems", "manager",
                        query_string={"from": "2026-03-01"}).json
    rows = {row["category"]: row for row in report["categories"]}
    assert [row["category"] for row in report["categories"]] == [
        TONE["category"], SIGNAL["category"], BILLING["category"]]
    assert report["orders"] == 9
    tone, signal, bill = (rows[c["category"]] for c in (TONE, SIGNAL, BILLING))
    assert (tone["rank"], tone["orders"], tone["share"], tone["cumulative_share"],
            tone["main"]) == (1, 5, 0.5556, 0.5556, True)
    assert (signal["share"], signal["cumulative_share"], signal["main"]) == (
        0.3333, 0.8889, True)  # 5 of 9 before it: under 80 %
    assert (bill["cumulative_share"], bill["main"]) == (1.0, False)  # 8 of 9 before it
    assert (tone["closed"], tone["fcr_rate"], tone["median_handling_seconds"],
            tone["class"]) == (5, 1.0, 0, "simple")
    assert (signal["closed"], signal["fcr_rate"], signal["median_handling_seconds"],
            signal["class"]) == (3, 0.3333, 2 * 3600, "difficult")
    assert (bill["closed"], bill["fcr_rate"], bill["class"]) == (0, None, None)
    assert sorted(tone["order_numbers"]) == sorted(tones)
    assert tone["name"].startswith("Ring-back tone")
    csv = client.get("/api/v1/reports/problems", "manager",
                     query_string={"from": "2026-03-01", "format": "csv"}).text
    assert csv.splitlines()[1].startswith(f"1,{TONE['category']},")
    assert billing in csv
