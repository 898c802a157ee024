"""The main job as a real server on a loopback port, driven by a real HTTP client."""
from __future__ import annotations

import signal

import requests

from tests.api.conftest import deploy_generic_over_http
from tests.orders import FORM_DATA, SUBMISSION


def test_a_relay_order_over_real_http(server):
    base, tokens, process = server
    http = requests.Session()

    def call(method, path, who, **kwargs):
        response = http.request(method, base + path, timeout=10,
                                headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
        return response

    departments = {"Acceptance": "provincial_service_desk",
                   "Relaying": "service_support_group",
                   "Processing": "provincial_support_centre"}
    data = {**FORM_DATA,
            "dispatch_to_relay.json": {"relaying_department": departments["Relaying"]},
            "redispatch.json": {"processing_department": departments["Processing"]}}

    assert http.get(base + "/readyz", timeout=10).json() == {"status": "ready"}
    # The generic engine API, on a copy of the relay that is no work order's.
    [relay] = deploy_generic_over_http(base, tokens["demo-designer"], "two_department_relay")
    started = call("POST", f"/api/v1/process-definitions/{relay}/start",
                   "demo-integrator", json={
                       "business_key": "REAL-1",
                       "variables": {**SUBMISSION,
                                     "acceptance_department": departments["Acceptance"]}})
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]

    stages = []
    while True:
        detail = call("GET", f"/api/v1/process-instances/{instance_id}", "demo-manager").json()
        if detail["status"] == "completed":
            break
        [open_task] = detail["open_tasks"]
        department = open_task["department"]
        assert department == departments[open_task["lane"]]
        inbox = call("GET", "/api/v1/tasks", department).json()
        [task] = [t for t in inbox["items"] if t["instance_id"] == instance_id]
        assert call("POST", f"/api/v1/tasks/{task['id']}/claim", department).status_code == 200
        done = call("POST", f"/api/v1/tasks/{task['id']}/complete", department,
                    json={"data": data[task["form"]]})
        assert done.status_code == 200, done.text
        stages.append(task["stage"])

    worked = ["dispatch", "redispatch", "handle", "return_result", "relay_handle",
              "relay_return", "audit", "feedback"]
    # On the real clock the order may fall in the return-visit table's sampled share.
    assert stages in (worked, [*worked, "return_visit"])
    timeline = call("GET", f"/api/v1/process-instances/{instance_id}/timeline",
                    "demo-integrator").json()["events"]
    completed = [(e["stage"], e["department"], e["actor"]) for e in timeline
                 if e["type"] == "completed"]
    assert [c[0] for c in completed] == stages
    assert all(actor == department for _stage, department, actor in completed)
    assert timeline[0]["type"] == "started" and timeline[-1]["type"] == "ended"
    assert [e["type"] for e in timeline].count("claimed") == len(stages)

    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopped" in output
