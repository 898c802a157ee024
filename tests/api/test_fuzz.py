"""Nothing a client sends produces a 500.

Schemathesis generates requests from the published OpenAPI document for every
operation (boundary values, valid and deliberately invalid bodies, query strings and
path values) and sends them to the real server. Seeded, so every run sends the same
requests.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import requests

from tests.api.conftest import deploy_generic_over_http

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


def test_no_request_causes_a_server_error(server, tmp_path):
    base, tokens, _process = server
    # Fuzz as the manager (reads everything) and as an integrator (writes), with a
    # running instance (of a flow that is no work order's, as the generic start takes)
    # for the generated requests to run into.
    [key] = deploy_generic_over_http(base, tokens["demo-designer"])
    started = requests.post(f"{base}/api/v1/process-definitions/{key}/start",
                            headers={"Authorization": f"Bearer {tokens['demo-integrator']}"},
                            json={"business_key": "FUZZ-1", "variables": {
                                "customer_phone": "13812345678", "category": "a/b/c",
                                "content": "x", "channel": "web",
                                "acceptance_department": "branch_front_desk"}}, timeout=10)
    assert started.status_code == 201
    # One fuzzing run per principal, side by side (each waits mostly on the server).
    runs = {}
    for principal in ("demo-manager", "demo-integrator", "branch_front_desk"):
        (tmp_path / principal).mkdir()
        runs[principal] = subprocess.Popen(
            [SCHEMATHESIS, "run", f"{base}/api/v1/openapi.json", "--url", base,
             "-H", f"Authorization: Bearer {tokens[principal]}",
             "--checks", "not_a_server_error", "--phases", "coverage,fuzzing",
             "--max-examples", "10", "--seed", "20261122", "--generation-deterministic",
             "--workers", "1", "--no-color"],
            cwd=tmp_path / principal, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
    for principal, run in runs.items():
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, (principal, output[-4000:])
        assert "Server error" not in output, principal
