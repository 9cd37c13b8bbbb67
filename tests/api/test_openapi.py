"""/api/v1/openapi.json: a valid OpenAPI 3.1 document (openapi-spec-validator), public, every operation with a
summary, tags and a readable operationId (the view's name), every error answer documented as problem details."""
from __future__ import annotations

from collections import Counter

from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def fetch(client) -> dict:
    answer = client.get("/api/v1/openapi.json")  # no token: the document is public
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.get_json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_valid_openapi_3_1(client):
    document = fetch(client)
    assert document["openapi"].startswith("3.1")
    # a default that does not fit its schema has no path in the error: its schema's title says which field
    errors = [f"{'/'.join(map(str, error.absolute_path)) or error.schema.get('title', '?')}: {error.message}"
              for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []
    validate(document, cls=OpenAPIV31SpecValidator)  # raises on the first error (none, as above)


def test_every_operation_has_a_summary_tags_and_the_views_name_as_operation_id(client, app):
    document = fetch(client)
    found = list(operations(document))
    assert len(found) >= 16  # customers and suppliers at least
    for path, method, operation in found:
        where = f"{method.upper()} {path}"
        assert operation.get("summary", "").strip(), where
        assert operation.get("tags"), where
        assert operation.get("operationId", "").isidentifier(), where
        assert "__api_v1" not in operation["operationId"], where  # not spectree's generated name
    ids = Counter(operation["operationId"] for _, _, operation in found)
    assert [name for name, count in ids.items() if count > 1] == []
    by_id = {operation["operationId"]: (method, path) for path, method, operation in found}
    assert by_id["list_customers"] == ("get", "/customers")
    assert by_id["get_customer"] == ("get", "/customers/{contact_id}")
    assert by_id["put_supplier_address"] == ("put", "/suppliers/{contact_id}/address")
    # each operationId is the name of the view that answers it
    views = {rule.endpoint.removeprefix("api.") for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert set(ids) <= views


def test_every_error_answer_is_documented_as_problem_details(client):
    document = fetch(client)
    errors = 0
    for path, method, operation in operations(document):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                errors += 1
                assert list(answer.get("content", {})) == ["application/problem+json"], (method, path, status)
            elif "content" in answer and status.startswith("2"):
                assert "application/problem+json" not in answer["content"], (method, path, status)
    assert errors > 0
    listing = document["paths"]["/customers"]["get"]["responses"]
    assert listing["200"]["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
    problem = listing["422"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert problem.startswith("#/components/schemas/Problem")


def test_the_answers_are_what_the_document_says(api):
    # a 401 and a 422 really come as application/problem+json, as documented
    unauthenticated = api.client.get("/api/v1/customers")
    assert unauthenticated.status_code == 401 and unauthenticated.mimetype == "application/problem+json"
    refused = api.get("/customers?limit=1000")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
