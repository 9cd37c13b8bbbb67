"""schemathesis against the OpenAPI document: every operation with data generated from the schema, valid and
invalid (positive and negative), as the owner token of an organization whose company details are complete; then
stateful chains along the links schemathesis finds in the document (what one call creates, the next reads, changes,
archives, deletes). No answer may be a 5xx and every answer must match the document (status code, Content-Type,
body schema); the API must refuse the calls without the token and with a wrong one. Slow: runs once, in the
PostgreSQL pass of make test; ``-s`` prints how many requests were generated."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests import factories
from tests.conftest import the_app, truncate_all
from webapp.extensions import db

pytestmark = pytest.mark.slow

# A well-formed request may still be refused by a use case's rule the schema cannot say (a customer needs a
# name or a company, an id must be one of the organization's, a draft's version must be current): 409 and 422
# are accepted answers to schema-valid data; a schema-invalid request must still be refused.
CONFIG = schemathesis.Config.from_dict({
    "generation": {"mode": "all", "max-examples": 50},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]}},
})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", the_app(), config=CONFIG)
REQUESTS: list[str] = []
TOKEN: dict[str, str] = {}  # the running test's token (the fixture below)


@schema.auth(refresh_interval=None)
class TokenAuth:
    """The token of the test's organization, as schemathesis' declared credentials (it also checks that the API
    refuses the request without it and with a wrong one)."""

    def get(self, case, context):
        return TOKEN.get("value", "")

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}  # one entry per generated request (the closing note quotes the count)


@pytest.fixture
def token(api_as):
    client = api_as("owner")
    factories.complete_org(client.org)
    db.session.commit()
    TOKEN["value"] = client.token
    return client.token


@schema.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_schema(case, token):
    REQUESTS.append(str(case.meta.generation.mode.value) if case.meta else "?")
    case.call_and_validate()


def test_workflows_along_the_documents_links_answer_within_the_schema(api_as):
    """Stateful: schemathesis chains calls along the links it finds in the document (a created customer's id
    into GET, PATCH, archive; an invoice's into its items ...), so requests reach real objects, not only 404s."""

    class Workflow(schema.as_state_machine()):
        def setup(self):
            # every scenario starts from the same empty organization (the same ids on PostgreSQL too): what a
            # call answers, and so which links exist, may not depend on the scenarios before it (hypothesis
            # replays a scenario to shrink it and insists on drawing the same data)
            truncate_all()
            client = api_as("owner")
            db.session.commit()
            TOKEN["value"] = client.token

        def after_call(self, response, case):
            super().after_call(response, case)
            REQUESTS.append("stateful")

    Workflow.run(settings=settings(max_examples=80, stateful_step_count=8, deadline=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))


@pytest.fixture(scope="module", autouse=True)
def _count():
    yield
    modes = {}
    for mode in REQUESTS:
        modes[mode] = modes.get(mode, 0) + 1
    print(f"\nschemathesis: {len(REQUESTS)} requests {modes}")
