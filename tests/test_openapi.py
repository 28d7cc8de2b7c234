"""The OpenAPI schema is generated without a warning and validates, and the interaction contexts of the
chat model and of the prompt renderer are one choice set."""

from __future__ import annotations

from django.core.management import call_command


def test_the_schema_validates_without_warnings(tmp_path, db):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in ("/api/twins/{twin_id}/persona-specs/{version}/preview", "/api/twins/{twin_id}/eval-cases",
                 "/api/twins/{twin_id}/persona-specs/{version}/approvals", "/api/publish-policy"):
        assert f"  {path}" in schema.replace("/?", ""), path


def test_one_interaction_context_choice_set():
    from chat.models import Conversation
    from personas.prompting import INTERACTION_CONTEXT_CHOICES, INTERACTION_CONTEXTS

    assert list(Conversation.Context.choices) == INTERACTION_CONTEXT_CHOICES
    assert [value for value, _ in INTERACTION_CONTEXT_CHOICES] == list(INTERACTION_CONTEXTS)


def test_fields_a_draft_leaves_empty_are_nullable_in_the_schema(tmp_path, db):
    import yaml

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    row = yaml.safe_load(target.read_text())["components"]["schemas"]["PersonaSpec"]["properties"]
    assert row["published_by"].get("nullable") is True and row["published_at"].get("nullable") is True
    assert row["created_by"].get("nullable") is True  # the author's account may have been deleted


# --- errors, request shapes and links: the schema says what the server does ----------------------

def _generated():
    from tests.openapi_contract import api_schema

    return api_schema()


def _operations():
    for path, item in _generated()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_in_the_one_error_shape(db):
    error_ref = {"$ref": "#/components/schemas/Error"}
    assert _generated()["components"]["schemas"]["Error"]["required"] == ["detail", "errors"]
    for path, method, operation in _operations():
        responses = operation["responses"]
        expected = {"400", "404", "413", "414", "431", "503"}
        if any(operation.get("security", [{}])):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected.add("415")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"] == {"application/json": {"schema": error_ref}}, (method, path, status)
    by_id = {operation["operationId"]: operation for _, _, operation in _operations()}
    assert "409" in by_id["twins_persona_specs_create"]["responses"]
    assert "409" in by_id["twins_persona_specs_publish_create"]["responses"]
    assert {"429", "502"} <= set(by_id["twins_chat_create"]["responses"])
    assert "401" not in by_id["schemas_persona_spec_v1.json_retrieve"]["responses"]  # public


def test_request_schemas_refuse_what_the_server_refuses(db):
    schemas = _generated()["components"]["schemas"]
    version = schemas["PersonaSpecCreateRequest"]["properties"]["version"]
    assert version["pattern"] == r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
    assert schemas["PersonaSpecCreateRequest"]["properties"]["spec"]["type"] == "object"
    assert schemas["PublishRequestRequest"]["properties"]["expected_active_version"]["pattern"] == version["pattern"]
    for name in ("TwinCreateRequest", "PatchedTwinUpdateRequest"):
        settings = schemas[name]["properties"]["settings"]
        assert settings["type"] == "object" and not settings.get("nullable"), name
        assert settings["properties"]["signature_phrases"]["type"] == "array"


def test_created_rows_link_to_the_operations_that_use_them(db):
    by_id = {operation["operationId"]: operation for _, _, operation in _operations()}
    links = by_id["twins_create"]["responses"]["201"]["links"]
    assert links["twins_persona_specs_create"]["parameters"] == {"twin_id": "$response.body#/id"}
    version_links = by_id["twins_persona_specs_create"]["responses"]["201"]["links"]
    assert version_links["twins_persona_specs_publish_create"]["parameters"]["version"] == \
        "$response.body#/persona_spec/version"
    for operation_id in {link["operationId"] for operation in by_id.values()
                         for response in operation["responses"].values() for link in response.get("links", {}).values()}:
        assert operation_id in by_id, operation_id


def test_the_contract_check_refuses_what_the_schema_does_not_describe(db):
    import pytest
    from django.http import HttpResponse, JsonResponse

    from tests.openapi_contract import ContractViolation, check_response

    twin = "/api/twins/8b7a3c4e-1111-4222-8333-944455556666"
    check_response("GET", twin + "/persona-specs/active", JsonResponse({"active": False, "spec": None}))
    check_response("GET", twin, JsonResponse({"detail": "Not found.", "errors": []}, status=404))
    with pytest.raises(ContractViolation, match="/active"):
        check_response("GET", twin + "/persona-specs/active", JsonResponse({"spec": None}))
    with pytest.raises(ContractViolation, match="418 is not documented"):
        check_response("GET", twin, JsonResponse({"detail": "", "errors": []}, status=418))
    with pytest.raises(ContractViolation, match="text/html is not documented"):
        check_response("GET", twin, HttpResponse("<h1>Not found</h1>", status=404))
    with pytest.raises(ContractViolation, match="errors"):
        check_response("GET", twin, JsonResponse({"detail": "Not found."}, status=404))
    with pytest.raises(ContractViolation, match="not JSON"):
        check_response("GET", "/api/nothing-here", HttpResponse("<h1>Not found</h1>", status=404))


def test_request_schemas_carry_the_input_limits(db):
    from core.input_limits import MAX_ABS_INTEGER, MAX_STRING_LENGTH

    schemas = _generated()["components"]["schemas"]
    value = {"$ref": "#/components/schemas/JsonValue"}
    twin = schemas["TwinCreateRequest"]
    assert twin["additionalProperties"] == value  # unknown fields are ignored, within the limits
    assert twin["properties"]["name"]["pattern"] == r"^[^\u0000]*$"
    assert twin["properties"]["settings"]["additionalProperties"] == value
    assert schemas["PersonaSpecCreateRequest"]["properties"]["spec"]["additionalProperties"] == value
    string, number = schemas["JsonValue"]["oneOf"][:2]
    assert string["maxLength"] == MAX_STRING_LENGTH and number["maximum"] == MAX_ABS_INTEGER
    assert schemas["EvalCaseInputRequest"]["additionalProperties"] is False  # the case schema refuses them
    assert schemas["ExpectInputRequest"]["properties"]["min_words"]["maximum"] == 5000
    import_body = _generated()["paths"]["/api/twins/{twin_id}/eval-cases/import/"]["post"]["requestBody"]["content"]
    assert import_body["application/json"]["schema"]["required"] == ["jsonl"]
    assert _generated()["paths"]["/api/twins/"]["post"]["requestBody"]["required"] is True
