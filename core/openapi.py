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

`add_input_limits` writes the limits every JSON body keeps (core.input_limits) into the request
schemas, where JSON Schema can say them: string and key lengths, no NUL character, numbers within
±2^53, and the same for free-form values and the unknown fields a body may carry (ignored, but
checked). Nesting depth (64) and key limits (OpenAPI 3.0 has no propertyNames) are not expressible
and stay in the descriptions.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse

from core.input_limits import MAX_ABS_INTEGER, MAX_STRING_LENGTH

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


# --- the input limits, in the request schemas ---------------------------------------------------

JSON_VALUE_NAME = "JsonValue"
JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE_NAME}"}
NO_NUL = "^[^\\u0000]*$"

JSON_VALUE_SCHEMA = {
    "description": "Any JSON value within the input limits: strings up to 262,144 characters and keys up to "
    "1,000, no NUL character, numbers within ±2^53, at most 64 levels of nesting.",
    "nullable": True,
    "oneOf": [
        {"type": "string", "maxLength": MAX_STRING_LENGTH, "pattern": NO_NUL},
        {"type": "number", "minimum": -MAX_ABS_INTEGER, "maximum": MAX_ABS_INTEGER},
        {"type": "boolean"},
        {"type": "array", "items": JSON_VALUE_REF},
        {"type": "object", "additionalProperties": JSON_VALUE_REF},
    ],
}


def _limit(node: dict) -> None:
    """Add the limits to one schema node and, recursively, to what it contains (not through $ref)."""
    kind = node.get("type")
    if kind == "string" and "enum" not in node and "format" not in node:
        node.setdefault("maxLength", MAX_STRING_LENGTH)
        node.setdefault("pattern", NO_NUL)
    elif kind in ("integer", "number"):
        node.setdefault("minimum", -MAX_ABS_INTEGER)
        node.setdefault("maximum", MAX_ABS_INTEGER)
    elif kind == "array":
        if node.get("items") in (None, {}):
            node["items"] = JSON_VALUE_REF
        else:
            _limit(node["items"])
    elif kind == "object" or "properties" in node:
        for child in node.get("properties", {}).values():
            _limit(child)
        extra = node.get("additionalProperties", True)
        if extra is True or extra == {}:
            node["additionalProperties"] = JSON_VALUE_REF  # unknown fields are ignored, but checked
        elif isinstance(extra, dict):
            _limit(extra)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for child in node.get(keyword, []):
            _limit(child)
    if not kind and not node.get("$ref") and not any(k in node for k in ("allOf", "anyOf", "oneOf", "enum")):
        node.update({**JSON_VALUE_REF, **{k: v for k, v in node.items() if k == "description"}})


def add_input_limits(schema: dict) -> dict:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[JSON_VALUE_NAME] = JSON_VALUE_SCHEMA
    request_schemas = [component for name, component in components.items() if name.endswith("Request")]
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            # Only JSON bodies keep these limits (a JSON Lines body is text, parsed line by line).
            media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "$ref" not in media.get("schema", {"$ref": ""}):
                request_schemas.append(media["schema"])
    for node in request_schemas:
        _limit(node)
    _mark_required_bodies(schema)
    return schema


def _mark_required_bodies(schema: dict) -> None:
    """A JSON body with required fields cannot be left out: the server answers 400 without one."""
    components = schema["components"]["schemas"]
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            body = operation.get("requestBody")
            json_schema = (body or {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in json_schema:
                json_schema = components.get(json_schema["$ref"].rsplit("/", 1)[-1], {})
            if json_schema.get("required"):
                body["required"] = True


def closed_request_body(serializer_class):
    """Class decorator: the server refuses fields this body does not name, so its request schema says
    `additionalProperties: false` (most bodies ignore unknown fields instead)."""

    class ClosedRequestBody(OpenApiSerializerExtension):
        target_class = serializer_class

        def map_serializer(self, auto_schema, direction):
            schema = auto_schema._map_basic_serializer(self.target, direction)
            if direction == "request":
                schema["additionalProperties"] = False
            return schema

    return serializer_class
