"""The schema's post-processing: error responses (core.openapi) and the links between operations.

Links say which response feeds which request (a created twin's id into every twin operation, a
stored version's number into publish, diff, preview...): clients and the stateful fuzzer
(`make fuzz`) follow them. They name operations of several apps, so they live here, in the roof.
"""

from __future__ import annotations

from core.openapi import add_error_responses, add_input_limits

TWIN_OPERATIONS = [
    "twins_retrieve", "twins_partial_update", "twins_memories_list", "twins_memories_create",
    "twins_persona_specs_list", "twins_persona_specs_create", "twins_persona_specs_generate_create",
    "twins_persona_specs_active_retrieve", "twins_audit_events_list", "twins_chat_create",
    "twins_conversations_list", "twins_eval_cases_list", "twins_eval_cases_create",
    "twins_eval_cases_export_retrieve", "twins_eval_cases_import_create", "twins_publish_policy_retrieve",
    "twins_publish_policy_update",
]
VERSION_OPERATIONS = [
    "twins_persona_specs_retrieve", "twins_persona_specs_publish_create", "twins_persona_specs_preview_create",
    "twins_persona_specs_approvals_retrieve", "twins_persona_specs_approvals_create",
    "twins_persona_specs_evaluations_list", "twins_persona_specs_evaluations_create",
]


def _links(operation_ids, **parameters) -> dict:
    return {operation_id: {"operationId": operation_id, "parameters": parameters} for operation_id in operation_ids}


def _version_links(row: str) -> dict:
    twin_id, version = f"$response.body#/{row}twin_id", f"$response.body#/{row}version"
    return {
        **_links(VERSION_OPERATIONS, twin_id=twin_id, version=version),
        "twins_persona_specs_diff_retrieve": {
            "operationId": "twins_persona_specs_diff_retrieve",
            "parameters": {"twin_id": twin_id, "version": version, "other": version},
        },
    }


# operationId → {status: links}
LINKS = {
    "twins_create": {"201": _links(TWIN_OPERATIONS, twin_id="$response.body#/id")},
    "twins_persona_specs_create": {"201": _version_links("persona_spec/")},
    "twins_persona_specs_generate_create": {"201": _version_links("persona_spec/")},
    "twins_persona_specs_publish_create": {"200": _version_links("persona_spec/")},
    "twins_eval_cases_create": {"201": _links(
        ["twins_eval_cases_retrieve", "twins_eval_cases_partial_update", "twins_eval_cases_destroy"],
        twin_id="$request.path.twin_id", case_id="$response.body#/id")},
    "twins_persona_specs_evaluations_create": {"202": _links(
        ["twins_evaluations_retrieve"], twin_id="$request.path.twin_id", run_id="$response.body#/id")},
    "twins_chat_create": {"200": _links(
        ["twins_conversations_retrieve"], twin_id="$request.path.twin_id",
        conversation_id="$response.body#/conversation_id")},
}


def postprocess_schema(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: errors on every operation, the input limits, then links."""
    add_error_responses(result)
    add_input_limits(result)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for status, links in LINKS.get(operation.get("operationId"), {}).items():
                operation["responses"][status]["links"] = links
    return result
