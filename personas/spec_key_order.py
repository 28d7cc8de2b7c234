"""A spec's keys in the order of its JSON Schema: the order of the prompt's sections.

Stored specs come back from PostgreSQL's jsonb with their keys in jsonb's own order (shortest first),
so an editor that shows them as stored puts `metadata` before `identity_voice`. `in_schema_order`
re-orders every object the schema describes (the spec, its examples, modules and rules) by the
schema's `properties`; keys it does not name (free-form values: voice, policy, style, metadata, the
rules' extra keys) follow in their own order, and no value is changed, only re-ordered.

Plain Python, like `personas.spec`: the editor's "Format JSON" (frontend/src/format.js) applies the
same rule in the browser.
"""

from __future__ import annotations

from typing import Any

from personas.spec import persona_spec_json_schema

_JSON_TYPES = ((dict, "object"), (list, "array"))


def in_schema_order(spec: Any, schema: dict[str, Any] | None = None) -> Any:
    """`spec` with the keys of every object the schema describes in the schema's order (a copy)."""
    root = schema if schema is not None else persona_spec_json_schema()
    return _ordered(spec, root, root)


def _ordered(value: Any, node: dict[str, Any] | None, root: dict[str, Any]) -> Any:
    node = _branch(_deref(node, root), value, root)
    if isinstance(value, dict):
        properties = (node or {}).get("properties") or {}
        extra = (node or {}).get("additionalProperties")
        named = [key for key in properties if key in value]
        others = [key for key in value if key not in properties]
        return {
            key: _ordered(value[key], properties.get(key, extra if isinstance(extra, dict) else None), root)
            for key in (*named, *others)
        }
    if isinstance(value, list):
        items = (node or {}).get("items")
        return [_ordered(item, items if isinstance(items, dict) else None, root) for item in value]
    return value


def _deref(node: dict[str, Any] | None, root: dict[str, Any]) -> dict[str, Any] | None:
    """`node` with its local `$ref` ("#/$defs/Example") followed, which is all pydantic writes."""
    for _ in range(32):
        if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
            return node
        target: Any = root
        for part in node["$ref"].removeprefix("#").split("/")[1:]:
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
        node = target
    return None


def _branch(node: dict[str, Any] | None, value: Any, root: dict[str, Any]) -> dict[str, Any] | None:
    """The `anyOf` branch that describes a container `value` (an optional field's non-null branch)."""
    if not isinstance(node, dict) or not isinstance(node.get("anyOf"), list):
        return node
    wanted = next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), None)
    for option in node["anyOf"]:
        option = _deref(option, root)
        if wanted and isinstance(option, dict) and option.get("type") == wanted:
            return option
    return None
