"""The API's error responses in the OpenAPI schema, derived in one place from what each operation is.

Every error the API sends has one JSON shape (core.exceptions.error_body). Which statuses an operation
can answer mostly follows from what it is, so `add_error_responses` derives them from the generated
operation instead of each view repeating them:

- any operation: 400 (a malformed request, e.g. an invalid Content-Length; a bad query parameter),
  404 (an unknown twin, version, case, run or page, or no tenant at this host), 413 (a declared body
  over the limit, whatever the method), 414 and 431 (a request line or headers over gunicorn's limits,
  answered in JSON by config.gunicorn_worker) and 503 (the database is unavailable);
- one that needs credentials: 401 (none or invalid) and 403 (not allowed; a session without CSRF);
- one that takes a body: 415 (not a media type it parses);
- what a view cannot be seen to do from outside, it declares with `errors(...)` in its
  `extend_schema(responses=...)`: 409 (a conflict with the current state), 429 (throttled), 502 (the
  model endpoint failed).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error. `errors` lists each problem with a JSON Pointer `path` into the request "
    "(\"\" for the request as a whole); it is empty when there is nothing more to say than `detail`.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, fit to show."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "JSON Pointer (RFC 6901), \"\" for the whole."},
                    "message": {"type": "string"},
                },
                "required": ["path", "message"],
            },
        },
    },
    "required": ["detail", "errors"],
}

DESCRIPTIONS = {
    400: "Invalid request: `errors` names each problem by its path.",
    401: "No credentials, or invalid ones.",
    403: "Authenticated, but not allowed to do this.",
    404: "Not found: an unknown or invisible twin, version, case, run or page, or no tenant at this host.",
    409: "Conflicts with the current state.",
    413: "The request body is over the size limit.",
    414: "The request line is over the server's limit (gunicorn: 4094 bytes).",
    415: "Unsupported media type: send application/json.",
    429: "Too many requests: wait for the seconds in Retry-After.",
    431: "Request headers over the server's limits.",
    502: "The model endpoint failed.",
    503: "The database is unavailable: try again shortly.",
}

ALWAYS = (400, 404, 413, 414, 431, 503)
WITH_CREDENTIALS = (401, 403)
WITH_BODY = (415,)


def _response(status: int, description: str | None = None) -> dict:
    return {"description": description or DESCRIPTIONS[status], "content": {"application/json": {"schema": ERROR_SCHEMA_REF}}}


def errors(*statuses: int, **described: str) -> dict:
    """For `extend_schema(responses={200: ..., **errors(409)})`: the error responses only this view
    knows it sends. A description may be given per status: `errors(**{"409": "The version exists."})`."""
    declared = {status: DESCRIPTIONS[status] for status in statuses}
    declared.update({int(status): text for status, text in described.items()})
    return {status: OpenApiResponse(response=ERROR_SCHEMA_REF, description=text) for status, text in declared.items()}


def _needs_credentials(operation: dict) -> bool:
    return any(requirement for requirement in operation.get("security", [{}]))


def add_error_responses(schema: dict) -> dict:
    """Add the Error component and, to every operation, the error responses it can give."""
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            statuses = list(ALWAYS)
            if _needs_credentials(operation):
                statuses += WITH_CREDENTIALS
            if "requestBody" in operation:
                statuses += WITH_BODY
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status), _response(status))
            operation["responses"] = dict(sorted(responses.items()))
    return schema
