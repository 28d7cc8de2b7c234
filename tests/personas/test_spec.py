"""Persona spec v1 validator, canonical form and semver helpers (plain Python, no Django)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from personas.spec import (
    INTENT_LABELS,
    MAX_SPEC_BYTES,
    PersonaSpecV1,
    SpecValidationError,
    canonical_json,
    format_semver,
    next_patch,
    parse_semver,
    parse_spec,
    persona_spec_json_schema,
    semver_key,
    spec_hash,
    validate_spec,
)

FIXTURES = Path(__file__).resolve().parents[2] / "personas" / "fixtures"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def example_spec() -> dict:
    return load_fixture("persona_spec_example.json")


def an_example(example_id: str | None = None, **fields) -> dict:
    example = {"intent_label": "advice_or_stance", "prompt": "Q?", "response": "A.", **fields}
    if example_id is not None:
        example["id"] = example_id
    return example


# --------------------------------------------------------------------------------------------
# Valid documents
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["persona_spec_example.json", "persona_spec_max.json"])
def test_fixtures_are_valid(name):
    data = load_fixture(name)

    assert validate_spec(data) == []
    assert isinstance(parse_spec(data), PersonaSpecV1)


def test_author_docs_show_the_example_fixture():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "persona-spec.md").read_text(encoding="utf-8")
    example_block = docs.split("## A full example", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]

    assert json.loads(example_block) == example_spec()


def test_every_field_is_optional_and_defaults_apply():
    spec = parse_spec({"procedural_modules": [{"id": "m"}]})

    assert spec.schema_version == 1
    assert spec.version is None
    module = spec.procedural_modules[0]
    assert (module.priority, module.active, module.few_shot_ids) == (100, True, [])


def test_deterministic_rules_keep_other_keys_and_version_may_be_null():
    spec = parse_spec({"version": None, "deterministic_rules": {"max_reply_chars": 800}})

    assert spec.version is None
    assert spec.deterministic_rules.model_extra == {"max_reply_chars": 800}


def test_example_ids_are_optional():
    assert validate_spec({"canonical_examples": [an_example(), an_example()]}) == []


# --------------------------------------------------------------------------------------------
# One failing case per rule: (change to the example spec, error path, error message)
# --------------------------------------------------------------------------------------------


def set_at(path: str, value):
    """A change that sets the value at a JSON Pointer-like path (list indices as ints)."""

    def change(spec: dict) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.strip("/").split("/")]
        target = spec
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def append_to(list_name: str, *items):
    def change(spec: dict) -> None:
        spec[list_name].extend(copy.deepcopy(items))

    return change


def delete_at(path: str):
    def change(spec: dict) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.strip("/").split("/")]
        target = spec
        for part in parents:
            target = target[part]
        del target[last]

    return change


RULES = [
    # top level
    (set_at("/foo", 1), "/foo", "unknown field 'foo'"),
    (set_at("/constitutions", []), "/constitutions", "unknown field 'constitutions' (did you mean 'constitution'?)"),
    (set_at("/schema_version", 2), "/schema_version", "unsupported schema_version 2; supported versions: 1"),
    (set_at("/schema_version", "1"), "/schema_version", 'unsupported schema_version "1"; supported versions: 1'),
    (set_at("/schema_version", True), "/schema_version", "unsupported schema_version true; supported versions: 1"),
    (set_at("/schema_version", None), "/schema_version", "unsupported schema_version null; supported versions: 1"),
    # version
    (set_at("/version", "1.0"), "/version", "must be a semantic version MAJOR.MINOR.PATCH such as 1.0.0 (got '1.0')"),
    (set_at("/version", "01.0.0"), "/version",
     "must be a semantic version MAJOR.MINOR.PATCH such as 1.0.0 (got '01.0.0')"),
    (set_at("/version", "1.0.0\n"), "/version",
     "must be a semantic version MAJOR.MINOR.PATCH such as 1.0.0 (got '1.0.0\n')"),
    (set_at("/version", 1), "/version", "must be a string (got integer)"),
    (set_at("/version", "2147483648.0.0"), "/version", "each version part must be at most 2147483647"),
    # free-form mappings
    (set_at("/identity_voice", {f"k{i}": i for i in range(51)}), "/identity_voice",
     "must have at most 50 keys (got 51)"),
    (set_at("/decision_policy", ["x"]), "/decision_policy", "must be an object (got array)"),
    (set_at("/stance_values", "strong"), "/stance_values", "must be an object (got string)"),
    (set_at("/interaction_style", None), "/interaction_style", "must be an object (got null)"),
    (set_at("/metadata", []), "/metadata", "must be an object (got array)"),
    # constitution
    (set_at("/constitution", ["rule"] * 51), "/constitution", "must have at most 50 items (got 51)"),
    (set_at("/constitution/0", ""), "/constitution/0", "must not be empty"),
    (set_at("/constitution/1", "x" * 501), "/constitution/1", "must be at most 500 characters (got 501)"),
    (set_at("/constitution/2", 7), "/constitution/2", "must be a string (got integer)"),
    (set_at("/constitution", "be kind"), "/constitution", "must be an array (got string)"),
    # examples
    (append_to("canonical_examples", *[an_example() for _ in range(28)]), "/canonical_examples",
     "must have at most 30 items (got 31)"),
    (set_at("/anti_examples", [an_example() for _ in range(31)]), "/anti_examples",
     "must have at most 30 items (got 31)"),
    (set_at("/canonical_examples/0/id", "has space"), "/canonical_examples/0/id",
     "must be 1-120 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-' (got 'has space')"),
    (set_at("/anti_examples/0/id", "x" * 121), "/anti_examples/0/id",
     f"must be 1-120 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-' (got '{'x' * 121}')"),
    (set_at("/canonical_examples/0/intent_label", ""), "/canonical_examples/0/intent_label", "must not be empty"),
    (set_at("/canonical_examples/0/intent_label", "x" * 101), "/canonical_examples/0/intent_label",
     "must be at most 100 characters (got 101)"),
    (delete_at("/canonical_examples/0/prompt"), "/canonical_examples/0/prompt", "required field is missing"),
    (set_at("/canonical_examples/1/prompt", "q" * 6001), "/canonical_examples/1/prompt",
     "must be at most 6000 characters (got 6001)"),
    (set_at("/anti_examples/0/response", ""), "/anti_examples/0/response", "must not be empty"),
    (set_at("/canonical_examples/0/tags", "pricing"), "/canonical_examples/0/tags", "must be an array (got string)"),
    (set_at("/canonical_examples/0/tags/0", 3), "/canonical_examples/0/tags/0", "must be a string (got integer)"),
    (set_at("/canonical_examples/0/tag", []), "/canonical_examples/0/tag",
     "unknown field 'tag' (did you mean 'tags'?)"),
    (append_to("canonical_examples", an_example("ex.pricing.pilot")), "/canonical_examples/3/id",
     "duplicate example id 'ex.pricing.pilot' (first used at /canonical_examples/0/id)"),
    (set_at("/anti_examples/0/id", "ex.facts.runway"), "/anti_examples/0/id",
     "duplicate example id 'ex.facts.runway' (first used at /canonical_examples/2/id)"),
    # modules
    (set_at("/procedural_modules", [{"id": f"m{i}"} for i in range(101)]), "/procedural_modules",
     "must have at most 100 items (got 101)"),
    (delete_at("/procedural_modules/0/id"), "/procedural_modules/0/id", "required field is missing"),
    (set_at("/procedural_modules/1/id", "procedural.decision.clarify_before_advice"), "/procedural_modules/1/id",
     "duplicate module id 'procedural.decision.clarify_before_advice' (first used at /procedural_modules/0/id)"),
    (set_at("/procedural_modules/0/priority", "5"), "/procedural_modules/0/priority",
     "must be an integer (got string)"),
    (set_at("/procedural_modules/0/priority", True), "/procedural_modules/0/priority",
     "must be an integer (got boolean)"),
    (set_at("/procedural_modules/0/priority", 5.0), "/procedural_modules/0/priority",
     "must be an integer (got number)"),
    (set_at("/procedural_modules/0/priority", -1), "/procedural_modules/0/priority", "must be at least 0 (got -1)"),
    (set_at("/procedural_modules/0/priority", 1001), "/procedural_modules/0/priority",
     "must be at most 1000 (got 1001)"),
    (set_at("/procedural_modules/0/active", 1), "/procedural_modules/0/active", "must be true or false (got integer)"),
    (set_at("/procedural_modules/0/when", []), "/procedural_modules/0/when", "must be an object (got array)"),
    (set_at("/procedural_modules/0/say_style", "direct"), "/procedural_modules/0/say_style",
     "must be an object (got string)"),
    (set_at("/procedural_modules/0/do", {"step": 1}), "/procedural_modules/0/do", "must be an array (got object)"),
    (set_at("/procedural_modules/0/ban/0", ""), "/procedural_modules/0/ban/0", "must not be empty"),
    (set_at("/procedural_modules/0/intent_labels/0", ""), "/procedural_modules/0/intent_labels/0", "must not be empty"),
    (set_at("/procedural_modules/0/few_shot_ids/0", "ex9"), "/procedural_modules/0/few_shot_ids/0",
     "unknown canonical example id 'ex9'"),
    (set_at("/procedural_modules/0/few_shot_ids/0", "anti.generic"), "/procedural_modules/0/few_shot_ids/0",
     "'anti.generic' is an anti-example; few_shot_ids must name canonical examples"),
    (set_at("/procedural_modules/0/few_shot_ids/0", "bad id"), "/procedural_modules/0/few_shot_ids/0",
     "must be 1-120 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-' (got 'bad id')"),
    (set_at("/procedural_modules/0/prioity", 3), "/procedural_modules/0/prioity",
     "unknown field 'prioity' (did you mean 'priority'?)"),
    # deterministic rules
    (set_at("/deterministic_rules", []), "/deterministic_rules", "must be an object (got array)"),
    (set_at("/deterministic_rules/banned_phrases", "Great question!"), "/deterministic_rules/banned_phrases",
     "must be an array (got string)"),
    (set_at("/deterministic_rules/banned_phrases/0", ""), "/deterministic_rules/banned_phrases/0", "must not be empty"),
    (set_at("/deterministic_rules/anti_style_rules/1", 2), "/deterministic_rules/anti_style_rules/1",
     "must be a string (got integer)"),
    # values that JSON (or PostgreSQL's jsonb) cannot hold
    (set_at("/metadata/ratio", float("nan")), "/metadata/ratio",
     "must be a finite number (NaN and Infinity are not JSON)"),
    (set_at("/metadata/note", "bad\x00byte"), "/metadata/note", "must not contain the NUL character (\\u0000)"),
    (set_at("/metadata/lone", "\ud800"), "/metadata/lone", "must not contain unpaired surrogate characters"),
    (set_at("/metadata/when", {1, 2}), "/metadata/when", "is not a JSON value (got Python set)"),
]


@pytest.mark.parametrize(
    ("change", "path", "message"), RULES, ids=[f"{path} {message[:40]}" for _, path, message in RULES]
)
def test_each_rule_reports_its_path_and_message(change, path, message):
    spec = example_spec()
    change(spec)

    assert validate_spec(spec) == [{"path": path, "message": message}]


def test_every_problem_is_reported_at_once():
    spec = example_spec()
    spec["constitution"][1] = ""
    spec["procedural_modules"][1]["few_shot_ids"] = ["ex9"]
    spec["procedural_modules"][0]["priority"] = "high"
    spec["colour"] = "blue"

    problems = validate_spec(spec)

    assert sorted(problem["path"] for problem in problems) == [
        "/colour",
        "/constitution/1",
        "/procedural_modules/0/priority",
        "/procedural_modules/1/few_shot_ids/0",
    ]


def test_pointer_paths_escape_tilde_and_slash():
    spec = {"metadata": {"a/b": {"c~d": float("inf")}}}

    assert validate_spec(spec) == [
        {"path": "/metadata/a~1b/c~0d", "message": "must be a finite number (NaN and Infinity are not JSON)"}
    ]


@pytest.mark.parametrize(("data", "kind"), [([], "array"), ("spec", "string"), (None, "null"), (3, "integer")])
def test_spec_must_be_an_object(data, kind):
    assert validate_spec(data) == [{"path": "", "message": f"spec must be a JSON object (got {kind})"}]


def padded_to(size: int) -> dict:
    """A valid spec whose canonical JSON is exactly `size` bytes (padding is two-byte 'é')."""
    spec = {"metadata": {"pad": ""}}
    room = size - len(canonical_json(spec).encode("utf-8"))
    spec["metadata"]["pad"] = "é" * (room // 2) + "x" * (room % 2)
    assert len(canonical_json(spec).encode("utf-8")) == size
    return spec


def test_size_limit_counts_utf8_bytes_of_the_canonical_json():
    assert validate_spec(padded_to(MAX_SPEC_BYTES)) == []
    assert validate_spec(padded_to(MAX_SPEC_BYTES + 1)) == [
        {"path": "", "message": "spec is 262,145 bytes; the limit is 262,144 bytes (256 KiB)"}
    ]


def test_parse_spec_raises_with_every_error():
    spec = example_spec()
    spec["constitution"] = [""]
    spec["foo"] = 1

    with pytest.raises(SpecValidationError) as raised:
        parse_spec(spec)

    assert raised.value.errors == validate_spec(spec)
    assert len(raised.value.errors) == 2
    assert "/constitution/0: must not be empty" in str(raised.value)


def test_model_built_directly_still_refuses_dangling_few_shot_ids():
    with pytest.raises(ValidationError, match="unknown canonical example id 'nope'"):
        PersonaSpecV1.model_validate({"procedural_modules": [{"id": "m", "few_shot_ids": ["nope"]}]})


def test_validation_does_not_change_its_input():
    spec = example_spec()
    before = copy.deepcopy(spec)

    parse_spec(spec)

    assert spec == before


# --------------------------------------------------------------------------------------------
# Canonical form, hash, JSON Schema
# --------------------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_is_compact_and_keeps_unicode():
    assert canonical_json({"b": 1, "a": {"d": "é", "c": [2, 1]}}) == '{"a":{"c":[2,1],"d":"é"},"b":1}'


def test_spec_hash_ignores_key_order():
    spec = example_spec()
    reordered = json.loads(json.dumps(dict(reversed(list(spec.items())))))

    assert spec_hash(spec) == spec_hash(reordered)
    assert spec_hash(spec) == hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()


def test_json_schema_describes_v1_and_accepts_the_fixtures():
    schema = persona_spec_json_schema()

    assert schema["$id"] == "/api/schemas/persona-spec-v1.json"
    assert schema["title"] == "Persona spec v1"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["identity_voice"]["maxProperties"] == 50
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("persona_spec_example.json", "persona_spec_max.json"):
        validator.validate(load_fixture(name))
    assert not validator.is_valid({"version": "1.0"})
    assert not validator.is_valid({"foo": 1})


def test_json_schema_callers_cannot_change_the_cached_copy():
    persona_spec_json_schema()["title"] = "changed"

    assert persona_spec_json_schema()["title"] == "Persona spec v1"


def test_intent_labels_are_the_designed_taxonomy_in_order():
    assert INTENT_LABELS == (
        "factual_with_evidence",
        "advice_or_stance",
        "action_or_tool_execution",
        "ambiguity_or_clarify",
        "disagreement_or_conflict",
        "summarize_or_transform",
        "meta_or_system",
        "sensitive_boundary_or_refusal",
    )


# --------------------------------------------------------------------------------------------
# Semantic versions
# --------------------------------------------------------------------------------------------


def test_parse_and_format_semver():
    assert parse_semver("1.0.10") == (1, 0, 10)
    assert format_semver((1, 0, 10)) == "1.0.10"


@pytest.mark.parametrize(
    "bad",
    ["1.0", "1.0.0.0", "01.0.0", "1.00.0", "v1.0.0", "", " 1.0.0", "1.0.0\n", "1.0.-1", "١.0.0", "2147483648.0.0",
     None, 1],
)
def test_parse_semver_rejects(bad):
    with pytest.raises(ValueError):
        parse_semver(bad)


@pytest.mark.parametrize("bad", [(1, 0), (1, 0, -1), (1, 0, True), ("1", 0, 0), (2**31, 0, 0), "1.0.0"])
def test_format_semver_rejects(bad):
    with pytest.raises(ValueError):
        format_semver(bad)


def test_next_patch_moves_only_the_patch():
    assert next_patch("1.0.9") == "1.0.10"
    assert next_patch((2, 3, 4)) == "2.3.5"
    with pytest.raises(ValueError):
        next_patch("1.0")
    with pytest.raises(ValueError, match="from 0 to 2147483647"):
        next_patch("1.0.2147483647")  # the next one would not fit the integer column


def test_semver_key_orders_numerically():
    versions = ["1.0.10", "1.0.9", "0.9.0", "1.10.0", "1.2.0", "10.0.0", "2.0.0"]

    assert sorted(versions, key=semver_key) == ["0.9.0", "1.0.9", "1.0.10", "1.2.0", "1.10.0", "2.0.0", "10.0.0"]


def test_custom_instructions_are_an_optional_bounded_string():
    assert validate_spec({"custom_instructions": "Keep answers under 150 words."}) == []
    assert [e["path"] for e in validate_spec({"custom_instructions": "x" * 4001})] == ["/custom_instructions"]
    assert [e["path"] for e in validate_spec({"custom_instructions": ["not", "text"]})] == ["/custom_instructions"]
