"""Every API response a test receives is checked against the generated OpenAPI schema.

`tests/conftest.py` wraps Django's test client with `check_response`, so each test that calls the API
also proves that the status is documented for the operation, the content type is one it documents,
and the body matches that response's schema. A serializer, a view or an error that drifts from the
schema fails the test that met it, with the operation and the JSON Schema error in the message.

The schema is OpenAPI 3.0 (drf-spectacular): `nullable` is turned into JSON Schema's `null` type, then
the jsonschema package validates (2020-12 dialect, references resolved through one registry).
"""

from __future__ import annotations

import json
import re
from functools import cache

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:persona-governance-api"
# Not API operations: the schema and its two viewers.
UNCHECKED_PATHS = re.compile(r"^/api/(schema|docs|redoc)/?$")
UNCHECKED_METHODS = {"HEAD", "OPTIONS"}


class ContractViolation(AssertionError):
    pass


def _json_schema(node):
    """OpenAPI 3.0 schema objects → JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def api_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


@cache
def _registry() -> Registry:
    return Registry().with_resource(DOCUMENT_URI, Resource.from_contents(_json_schema(api_schema()),
                                                                         default_specification=DRAFT202012))


@cache
def _routes() -> list[tuple[re.Pattern, str]]:
    """(regex, template) per documented path, literal segments first: `/persona-specs/active/` is not a
    `{version}`. Every path answers with or without its trailing slash."""
    routes = []
    for template in api_schema()["paths"]:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template.rstrip("/")))
        routes.append((re.compile(f"^{pattern}/?$"), template))
    return sorted(routes, key=lambda route: route[1].count("{"))


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _validate(instance, pointer: str, where: str) -> None:
    validator = jsonschema.Draft202012Validator({"$ref": DOCUMENT_URI + pointer}, registry=_registry())
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        location = "/" + "/".join(str(part) for part in error.absolute_path)
        raise ContractViolation(f"{where}: the body does not match the schema at {location}: {error.message}")


def check_response(method: str, path: str, response) -> None:
    """Raise ContractViolation unless `response` is one the schema documents for `method path`."""
    if not path.startswith("/api") or UNCHECKED_PATHS.match(path) or method in UNCHECKED_METHODS:
        return
    status = response.status_code
    media_type = response.get("Content-Type", "").split(";")[0].strip()
    where = f"{method} {path} → {status}"
    template = next((template for regex, template in _routes() if regex.match(path)), None)
    operation = api_schema()["paths"].get(template, {}).get(method.lower()) if template else None
    if operation is None:
        # Not an operation: only an error can answer, in the one error shape.
        if status not in (404, 405) and not (template is None and status in (400, 401, 413, 503)):
            raise ContractViolation(f"{where}: not a documented operation, yet not a 404/405")
        if media_type != "application/json":
            raise ContractViolation(f"{where}: an error that is not JSON ({media_type or 'no Content-Type'})")
        _validate(json.loads(response.content), "#/components/schemas/Error", where)
        return
    responses = operation["responses"]
    key = str(status) if str(status) in responses else "default" if "default" in responses else None
    if key is None:
        raise ContractViolation(f"{where}: status {status} is not documented (documented: {', '.join(responses)})")
    documented = responses[key].get("content", {})
    if not documented:
        if response.content:
            raise ContractViolation(f"{where}: documented without a body, yet one came ({media_type})")
        return
    if media_type not in documented:
        raise ContractViolation(f"{where}: Content-Type {media_type or 'none'} is not documented "
                                f"(documented: {', '.join(documented)})")
    if media_type == "application/json" and "schema" in documented[media_type]:
        pointer = _pointer("paths", template, method.lower(), "responses", key, "content", media_type, "schema")
        _validate(json.loads(response.content), pointer, where)
