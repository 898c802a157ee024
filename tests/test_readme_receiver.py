"""The README's ten-line webhook receiver works as written: it accepts what the engine
signs and refuses a tampered body."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from standardwebhooks import Webhook

from engine.integrations.subscriptions import new_secret
from tests.conftest import ROOT


def test_the_readme_receiver_verifies_signatures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", readme.split("ten-line receiver")[1],
                        flags=re.S)[:1]
    assert len(code.strip().splitlines()) <= 15
    secret = new_secret()
    scope: dict = {"__name__": "readme_receiver"}
    exec(code.replace('"whsec_..."', repr(secret)), scope)
    client = scope["app"].test_client()
    body = '{"id":"evt_1","event_id":1,"type":"urged","data":{"order":"WO-1"}}'
    now = datetime.now(UTC)  # receivers check the timestamp against their wall clock
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign("evt_1", now, body),
               "Content-Type": "application/json"}
    assert client.post("/hooks/workorders", data=body, headers=headers).status_code == 204
    tampered = body.replace("WO-1", "WO-2")
    assert client.post("/hooks/workorders", data=tampered, headers=headers).status_code == 400
