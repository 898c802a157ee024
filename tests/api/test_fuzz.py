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

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


def test_no_request_causes_a_server_error(server, tmp_path):
    base, tokens, _process = server
    # Fuzz as the manager (reads everything) and as an integrator (writes), with a
    # running order for the generated requests to run into.
    started = requests.post(f"{base}/api/v1/process-definitions/one_department/start",
                            headers={"Authorization": f"Bearer {tokens['demo-integrator']}"},
                            json={"business_key": "FUZZ-1", "variables": {
                                "customer_phone": "13812345678", "category": "a/b/c",
                                "content": "x", "channel": "web",
                                "acceptance_department": "branch_front_desk"}}, timeout=10)
    assert started.status_code == 201
    for principal in ("demo-manager", "demo-integrator", "branch_front_desk"):
        result = subprocess.run(
            [SCHEMATHESIS, "run", f"{base}/api/v1/openapi.json", "--url", base,
             "-H", f"Authorization: Bearer {tokens[principal]}",
             "--checks", "not_a_server_error", "--phases", "coverage,fuzzing",
             "--max-examples", "20", "--seed", "20261122", "--generation-deterministic",
             "--workers", "1", "--no-color"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stdout[-4000:]
        assert "Server error" not in result.stdout
