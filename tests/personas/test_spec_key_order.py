"""A spec's keys in the schema's order (the prompt's sections), for the admin's editor: re-ordered,
never changed. Plain Python, no database."""

from __future__ import annotations

import json

from personas.spec import canonical_json, persona_spec_json_schema
from personas.spec_key_order import in_schema_order
from tests.personas.builders import example_spec, max_spec

SECTIONS = list(persona_spec_json_schema()["properties"])


def jsonb_like(value):
    """Keys as PostgreSQL's jsonb returns them (shortest first, then bytewise), at every level."""
    if isinstance(value, dict):
        return {key: jsonb_like(value[key]) for key in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(value, list):
        return [jsonb_like(item) for item in value]
    return value


def test_sections_come_in_the_schema_order_whatever_order_they_came_in():
    spec = jsonb_like({**example_spec(), "version": "1.2.3", "custom_instructions": "Be brief."})
    assert list(spec)[:2] == ["version", "metadata"]  # jsonb's order: the shortest key first
    ordered = in_schema_order(spec)
    assert list(ordered) == [key for key in SECTIONS if key in spec]
    assert list(ordered)[:3] == ["schema_version", "version", "identity_voice"]


def test_examples_modules_and_rules_follow_their_own_schema_order():
    spec = jsonb_like(example_spec())
    spec["deterministic_rules"] = {"zz_extra": [1], "anti_style_rules": [], "a_extra": True, "banned_phrases": ["x"]}
    ordered = in_schema_order(spec)
    assert list(ordered["canonical_examples"][0]) == ["id", "intent_label", "prompt", "response", "tags"]
    module_fields = list(persona_spec_json_schema()["$defs"]["Module"]["properties"])
    assert list(ordered["procedural_modules"][0]) == [key for key in module_fields
                                                       if key in spec["procedural_modules"][0]]
    # Named rules first, in the schema's order; the keys it lets through keep theirs.
    assert list(ordered["deterministic_rules"]) == ["banned_phrases", "anti_style_rules", "zz_extra", "a_extra"]


def test_free_form_values_keep_their_order_and_types():
    voice = {"zeta": {"b": [True, None, 1.0, {"y": 1, "x": 2}], "a": False}, "10": 1, "alpha": [[], {}]}
    ordered = in_schema_order({"metadata": {"z": 1, "a": 2}, "identity_voice": voice})
    assert list(ordered) == ["identity_voice", "metadata"]
    assert json.dumps(ordered["identity_voice"]) == json.dumps(voice)  # same order, same literals
    assert list(ordered["metadata"]) == ["z", "a"]
    assert type(ordered["identity_voice"]["zeta"]["b"][2]) is float


def test_nothing_but_the_order_changes_on_the_largest_fixture():
    spec = jsonb_like(max_spec())
    ordered = in_schema_order(spec)
    assert ordered == spec
    assert canonical_json(ordered).encode() == canonical_json(max_spec()).encode()
    assert ordered is not spec and ordered["procedural_modules"] is not spec["procedural_modules"]


def test_invalid_specs_keep_every_key_unknown_ones_last():
    assert list(in_schema_order({"typo_section": 1, "constitution": ["x"], "metadata": {}})) == [
        "constitution", "metadata", "typo_section"]
    assert in_schema_order(["not", "an", "object"]) == ["not", "an", "object"]
    assert in_schema_order({"canonical_examples": "not a list"}) == {"canonical_examples": "not a list"}
