"""The OpenAPI document is a contract the API keeps (issue 13).

Schemathesis generates requests for every operation of the app's own document, valid
and invalid, and each is sent with a token of every role to an app holding a few work
orders, instances and notifications. Any 5xx fails, and so does any answer the document
does not describe: a body outside its response schema or a content type it does not
list (errors are application/problem+json). In process (WSGI), derandomized and seeded,
with a fixed small number of examples per operation: the same requests every run.
tests/api/test_fuzz.py sends more requests, to a real server, for 5xx only.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api import create_app
from api.auth import ROLES
from engine import SimulatedClock
from tests.api.conftest import PRINCIPALS as ROLE_OF
from tests.api.conftest import (
    TO_NETWORK,
    Client,
    act,
    build_app,
    deploy_generic,
    dispose,
    work,
)
from tests.api.conftest import test_data_dir as data_dir
from tests.conftest import T0

EXAMPLES = 10  # generated requests per operation
SEED = 20260302
# One token of every role.
PRINCIPALS = ("front_desk", "crm", "designer", "manager", "admin")
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.content_type_conformance]


def _document() -> dict:
    """The app's OpenAPI document (it does not depend on the database's contents)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "DATA_DIR": data_dir()})
    try:
        return app.test_client().get("/api/v1/openapi.json").get_json()
    finally:
        dispose(app)


schema = schemathesis.openapi.from_dict(_document(), config=schemathesis.Config.from_dict({
    "seed": SEED,
    # Valid and invalid requests; never a generated Authorization header in place of
    # the principal's token.
    "generation": {"mode": "all", "deterministic": True, "max-examples": EXAMPLES,
                   "with-security-parameters": False},
    # The coverage phase sends every boundary value of every field (hundreds of requests
    # an operation); test_fuzz.py runs it against the real server.
    "phases": {"coverage": {"enabled": False}},
}))


@pytest.fixture(scope="module")
def contract_app(module_database_url):
    """The app with something to list: work orders at several stages, a generic
    instance (of a flow that is no work order's) and notifications."""
    app, tokens = build_app(module_database_url, SimulatedClock(T0))
    client = Client(app.test_client(), tokens)
    urged = client.submit(external_reference="CONTRACT-1")["number"]
    work(client, urged, "front_desk", TO_NETWORK)
    act(client, urged, "front_desk", "urge", note="Customer called again.")
    client.submit(external_reference="CONTRACT-2")
    deploy_generic(client)
    client.start("CONTRACT-3")
    yield app, tokens
    dispose(app)


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_answer_is_as_documented(case, contract_app):
    app, tokens = contract_app
    for principal in PRINCIPALS:
        case.call_and_validate(app=app, checks=CHECKS,
                               headers={"Authorization": f"Bearer {tokens[principal]}"})


def test_the_contract_is_checked_with_a_token_of_every_role():
    assert sorted(ROLE_OF[name][0] for name in PRINCIPALS) == sorted(ROLES)
