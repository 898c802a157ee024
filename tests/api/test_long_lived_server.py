"""The main job (`flask serve`) as a user runs it, kept running while orders of every
flow are urged, transferred, sent back and audit-rejected between the stages of others:
every order closes (issue 12: an urge once changed the parsed diagram the server shares,
and every order started after it stayed open)."""
from __future__ import annotations

import requests

from tests.orders import FORM_DATA

ACCEPTANCE = "provincial_service_desk"
# Complaints of each flow with the key fields their category asks for.
ORDERS = {
    "single_dispatch": {"category": "terminal/handset_fault/software",
                        "key_fields": {"handset_model": "Mate 60"}},
    "one_department": {"category": "network/no_signal/base_station",
                       "key_fields": {"location": "Xihu district", "occurred_at": "2026-03-01"}},
    "two_department_relay": {"category": "network/call_drop/td",
                             "key_fields": {"location": "Binjiang",
                                            "network_generation": "td_scdma"}},
}
# What each form is completed with, in the directory of data/departments.json.
DATA = {**FORM_DATA,
        "dispatch.json": {"processing_department": "network_operations"},
        "dispatch_to_relay.json": {"relaying_department": "service_support_group"},
        "redispatch.json": {"processing_department": "provincial_support_centre"},
        "supervise.json": {"processing_department": "billing"}}


class Api:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens, self.http = base, tokens, requests.Session()

    def call(self, method: str, path: str, who: str, expect: int = 200, **kwargs) -> dict:
        response = self.http.request(method, f"{self.base}/api/v1{path}", timeout=30,
                                     headers={"Authorization": f"Bearer {self.tokens[who]}"},
                                     **kwargs)
        assert response.status_code == expect, (method, path, response.text)
        return response.json()

    def submit(self, flow: str) -> dict:
        return self.call("POST", "/work-orders", "demo-integrator", expect=201, json={
            "customer_phone": "13912345678", "content": "Still no service.",
            "channel": "hotline", "acceptance_department": ACCEPTANCE, **ORDERS[flow]})

    def open_stage(self, number: str) -> dict | None:
        stages = self.call("GET", f"/work-orders/{number}", "demo-manager")["open_stages"]
        assert len(stages) <= 1, stages
        return stages[0] if stages else None

    def work(self, number: str) -> str:
        """Complete the open stage by the department holding it; its stage name."""
        stage = self.open_stage(number)
        assert stage is not None, f"{number} has no open stage"
        task = self.call("GET", f"/tasks/{stage['task_id']}", stage["department"])
        self.call("POST", f"/tasks/{task['id']}/complete", stage["department"],
                  json={"data": DATA[task["form"]]})
        return task["stage"]

    def work_until(self, number: str, stage_name: str) -> dict:
        for _ in range(20):
            stage = self.open_stage(number)
            assert stage is not None
            if stage["stage"] == stage_name:
                return stage
            self.work(number)
        raise AssertionError(f"{number} never reached {stage_name}")

    def close(self, number: str) -> dict:
        for _ in range(30):
            if self.open_stage(number) is None:
                return self.call("GET", f"/work-orders/{number}", "demo-manager")
            self.work(number)
        raise AssertionError(f"{number} still open")


def test_a_long_running_server_closes_every_order_whatever_happened_to_the_others(server):
    base, tokens, _process = server
    api = Api(base, tokens)
    early = {flow: api.submit(flow)["number"] for flow in ORDERS}
    for flow in ORDERS:  # every operation that starts an event sub-process or throws
        number = api.submit(flow)["number"]
        handling = api.work_until(number, "handle")
        api.call("POST", f"/work-orders/{number}/urge", ACCEPTANCE,
                 json={"note": "The customer called again."})
        api.call("POST", f"/work-orders/{number}/transfer", handling["department"],
                 json={"to_department": "billing", "reason": "A billing dispute."})
        api.call("POST", f"/work-orders/{number}/send-back", "billing",
                 json={"reason": "Not ours."})
        api.work_until(number, "audit")
        api.call("POST", f"/work-orders/{number}/audit", ACCEPTANCE,
                 json={"approved": False, "reason": "Not fixed."})
        early[f"{flow}-operated"] = number
        api.work(early[flow])  # the earlier orders move on in between
    late = {flow: api.submit(flow)["number"] for flow in ORDERS}
    for name, number in [*early.items(), *late.items()]:
        closed = api.close(number)
        assert closed["status"] == "closed", (name, closed["timeline"][-3:])
