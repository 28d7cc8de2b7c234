"""Persona spec v1: the schema, its validator, canonical form and semver helpers.

Plain Python (pydantic v2, no Django) so the API, the admin, commands and tests share one validator.

Entry points are `validate_spec` (every problem at once, as JSON Pointer paths and readable
messages) and `parse_spec` (the validated model, or `SpecValidationError`). The models alone check
structure; `parse_spec` also runs the cross-reference rules (unique ids, few_shot_ids that resolve).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from copy import deepcopy
from typing import Annotated, Any, Literal

import pydantic_core
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

SUPPORTED_SCHEMA_VERSIONS = (1,)
MAX_SPEC_BYTES = 256 * 1024
MAX_MAPPING_KEYS = 50
MAX_CONSTITUTION_RULES = 50
MAX_EXAMPLES_PER_LIST = 30
MAX_MODULES = 100
MAX_CUSTOM_INSTRUCTIONS = 4000
# Versions are stored as three integer columns; keep every part inside a PostgreSQL `integer`.
MAX_VERSION_PART = 2**31 - 1

INTENT_LABELS = (
    "factual_with_evidence",
    "advice_or_stance",
    "action_or_tool_execution",
    "ambiguity_or_clarify",
    "disagreement_or_conflict",
    "summarize_or_transform",
    "meta_or_system",
    "sensitive_boundary_or_refusal",
)

# re.ASCII: without it `\d` also matches non-ASCII digits such as "١". Use `fullmatch`: `$` alone
# accepts a trailing newline.
SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$", re.ASCII)
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,120}$"
ID_RE = re.compile(ID_PATTERN)

SCHEMA_ID = "/api/schemas/persona-spec-v1.json"


class SpecValidationError(Exception):
    """A spec failed validation; `errors` is the `[{"path", "message"}]` list of `validate_spec`."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        summary = "; ".join(f"{e['path'] or 'spec'}: {e['message']}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"invalid persona spec: {summary}{more}")


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def _check_semver(value: str) -> str:
    match = SEMVER_RE.fullmatch(value)
    if match is None:
        raise PydanticCustomError(
            "semver", "must be a semantic version MAJOR.MINOR.PATCH such as 1.0.0 (got '{value}')", {"value": value}
        )
    if any(int(part) > MAX_VERSION_PART for part in match.groups()):
        raise PydanticCustomError(
            "semver_part_too_large", "each version part must be at most {limit}", {"limit": MAX_VERSION_PART}
        )
    return value


Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
IntentLabel = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ExampleText = Annotated[str, StringConstraints(min_length=1, max_length=6000)]
# An empty banned phrase would be found in every reply.
Phrase = Annotated[str, StringConstraints(min_length=1)]
FreeFormMapping = Annotated[dict[str, Any], Field(max_length=MAX_MAPPING_KEYS)]
SemverString = Annotated[
    str, AfterValidator(_check_semver), Field(json_schema_extra={"pattern": SEMVER_RE.pattern})
]


class _StrictModel(BaseModel):
    # strict: "5" is not an int and true is not a priority; forbid: a typo is an error, not ignored.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Example(_StrictModel):
    """One exchange in the twin's voice (canonical) or one to avoid (anti)."""

    id: Identifier | None = Field(default=None, description="Optional; unique across both example lists.")
    intent_label: IntentLabel
    prompt: ExampleText
    response: ExampleText
    tags: list[str] = Field(default_factory=list)


class Module(_StrictModel):
    """A procedure the twin follows when the request has one of `intent_labels`."""

    id: Identifier
    intent_labels: list[IntentLabel] = Field(default_factory=list)
    when: dict[str, Any] = Field(default_factory=dict, description="Conditions, rendered into the prompt.")
    do: list[Any] = Field(default_factory=list, description="Steps, in order.")
    say_style: dict[str, Any] = Field(default_factory=dict)
    ban: list[Phrase] = Field(default_factory=list, description="Phrases banned while this module applies.")
    few_shot_ids: list[Identifier] = Field(default_factory=list, description="Ids of canonical examples.")
    priority: int = Field(default=100, ge=0, le=1000, description="Lower comes first.")
    active: bool = True


class DeterministicRules(_StrictModel):
    """Rules enforced outside the model as well as stated to it; other keys pass through untouched."""

    model_config = ConfigDict(extra="allow")

    banned_phrases: list[Phrase] = Field(default_factory=list)
    anti_style_rules: list[Phrase] = Field(default_factory=list)


class PersonaSpecV1(_StrictModel):
    """Persona spec, schema version 1. Every field is optional; empty sections are not rendered."""

    schema_version: Literal[1] = 1
    version: SemverString | None = Field(
        default=None, description="MAJOR.MINOR.PATCH; assigned by the server when omitted."
    )
    identity_voice: FreeFormMapping = Field(default_factory=dict)
    decision_policy: FreeFormMapping = Field(default_factory=dict)
    stance_values: FreeFormMapping = Field(default_factory=dict)
    interaction_style: FreeFormMapping = Field(default_factory=dict)
    constitution: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=MAX_CONSTITUTION_RULES
    )
    canonical_examples: list[Example] = Field(default_factory=list, max_length=MAX_EXAMPLES_PER_LIST)
    anti_examples: list[Example] = Field(default_factory=list, max_length=MAX_EXAMPLES_PER_LIST)
    procedural_modules: list[Module] = Field(default_factory=list, max_length=MAX_MODULES)
    deterministic_rules: DeterministicRules = Field(default_factory=DeterministicRules)
    custom_instructions: Annotated[str, StringConstraints(max_length=MAX_CUSTOM_INSTRUCTIONS)] | None = Field(
        default=None,
        description="Free-text instructions rendered last, as CUSTOM INSTRUCTIONS. Part of the version, so "
        "they change only with a new version (twin settings never enter a spec's prompt).",
    )
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free-form; never rendered.")

    @model_validator(mode="after")
    def _check_cross_references(self, info: ValidationInfo) -> PersonaSpecV1:
        # validate_spec reports these itself, with one path per problem; this keeps a model built
        # any other way from holding dangling or duplicate ids.
        if info.context and info.context.get(_CROSS_REFERENCES_REPORTED_SEPARATELY):
            return self
        problems = cross_reference_problems(self.model_dump(include=_CROSS_REFERENCE_FIELDS))
        if problems:
            raise ValueError("; ".join(f"{p['path']}: {p['message']}" for p in problems))
        return self


_CROSS_REFERENCES_REPORTED_SEPARATELY = "cross_references_reported_separately"
_CROSS_REFERENCE_FIELDS = {"canonical_examples", "anti_examples", "procedural_modules"}


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def validate_spec(data: object) -> list[dict[str, str]]:
    """Every problem with `data` as `[{"path": JSON Pointer, "message": str}]`; empty when valid.

    Checks run in order and stop early only where later checks would be meaningless: not an
    object, not representable as JSON, over the size limit, or an unsupported schema_version.
    """
    problems, _ = _validate(data)
    return problems


def parse_spec(data: object) -> PersonaSpecV1:
    """The validated spec; raises `SpecValidationError` listing every problem."""
    if isinstance(data, PersonaSpecV1):
        return data
    problems, spec = _validate(data)
    if problems:
        raise SpecValidationError(problems)
    assert spec is not None
    return spec


def _validate(data: object) -> tuple[list[dict[str, str]], PersonaSpecV1 | None]:
    if not isinstance(data, dict):
        return [_problem("", f"spec must be a JSON object (got {_json_type(data)})")], None
    spec = _valid_spec_or_none(data)
    if spec is not None:
        return [], spec
    return _validate_reporting_every_problem(data)


# The JSON parser behind `model_validate_json` refuses documents nested deeper than this.
_MAX_JSON_DEPTH = 200


def _valid_spec_or_none(data: dict[str, Any]) -> PersonaSpecV1 | None:
    """The spec when `data` passes every check of `_validate_reporting_every_problem`, else None.

    The fast way for the usual case, a valid spec: pydantic validates the Python object itself (in
    Rust, strict, free-form values as JSON values) instead of the canonical JSON text, and the NUL,
    surrogate and size checks read pydantic's own serialisation, several times faster than
    `canonical_json`. Whenever it says None, the full check runs and reports every problem, so
    both ways accept exactly the same specs (tests/personas/test_spec_fast_path.py holds them to it).
    The model's free-form values below the top level are the caller's own objects, not copies.
    """
    schema_version = data.get("schema_version", 1)
    if type(schema_version) is not int or schema_version not in SUPPORTED_SCHEMA_VERSIONS:
        return None
    try:
        spec = PersonaSpecV1.model_validate(data, strict=True, context={_CROSS_REFERENCES_REPORTED_SEPARATELY: True})
    except ValidationError:
        return None
    if not _free_form_values_are_plain_json(spec):
        return None
    # Now only plain JSON types are left, which this writes like `canonical_json` but for key order
    # (no length change) and some floats (see `_canonical_size_may_exceed_limit`).
    try:
        text = pydantic_core.to_json(data)
    except pydantic_core.PydanticSerializationError:  # unpaired surrogates cannot be written as UTF-8
        return None
    # Only an escape holds a backslash: `in` looks for one byte with memchr, several times faster than
    # scanning the whole text for the six-byte escape, and most specs have no escape at all.
    if b"\\" in text and b"\\u0000" in text:
        return None
    if _canonical_size_may_exceed_limit(text) or _has_dangling_or_duplicate_ids(spec):
        return None
    return spec


def _canonical_size_may_exceed_limit(text: bytes) -> bool:
    """Whether `canonical_json` of the data `pydantic_core.to_json` wrote as `text` may be over the limit.

    Both write the same bytes but for key order (same length) and floats below 1e-4: `to_json` writes
    1e-8 where `json` writes 1e-08, one byte more, and only where `text` has "e-". Each such float takes
    four bytes at least, so the canonical form is at most a quarter longer, and usually no longer.
    """
    if len(text) + len(text) // 4 <= MAX_SPEC_BYTES:
        return False
    return len(text) + text.count(b"e-") > MAX_SPEC_BYTES


def _has_dangling_or_duplicate_ids(spec: PersonaSpecV1) -> bool:
    """Whether `cross_reference_problems` has anything to say (it says what, with paths)."""
    canonical = [example.id for example in spec.canonical_examples if example.id is not None]
    anti = [example.id for example in spec.anti_examples if example.id is not None]
    canonical_ids = set(canonical)
    if len(canonical_ids) != len(canonical) or len(canonical_ids.union(anti)) != len(canonical) + len(anti):
        return True
    modules = spec.procedural_modules
    if len({module.id for module in modules}) != len(modules):
        return True
    return not canonical_ids.issuperset([example_id for module in modules for example_id in module.few_shot_ids])


def _free_form_values_are_plain_json(spec: PersonaSpecV1) -> bool:
    """Whether every free-form value (typed `Any`, so pydantic let anything through) is plain JSON
    that `model_validate_json` would read back the same: exact str, int, bool, None, finite float,
    list, dict with str keys, nested no deeper than its parser allows. Subclasses, tuples and other
    types answer False: the full check then says what `canonical_json` makes of them.

    The typed levels above each free-form value are counted by hand: the spec object is level 1, a
    mapping section level 2, a module's `when` level 4.
    """
    # The values are gathered into two lists, one per level, each judged like a container one level
    # up: by the set of their types, without a Python loop, as all are plain scalars in the usual
    # case; only a container or a float among them is walked.
    # (The keys of these typed mappings are exact strs already; those of `extra` are checked.)
    in_sections: list[Any] = []
    for mapping in (spec.identity_voice, spec.decision_policy, spec.stance_values, spec.interaction_style,
                    spec.metadata):
        in_sections.extend(mapping.values())
    in_modules: list[Any] = []
    for module in spec.procedural_modules:
        in_modules.extend(module.when.values())
        in_modules.extend(module.do)
        in_modules.extend(module.say_style.values())
    extra = spec.deterministic_rules.model_extra
    return (
        _plain_json_container(in_sections, _MAX_JSON_DEPTH - 1)
        and _plain_json_container(in_modules, _MAX_JSON_DEPTH - 3)
        and (not extra or _plain_json_container(extra, _MAX_JSON_DEPTH - 1))
    )


_PLAIN_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _plain_json_container(value: dict[str, Any] | list[Any], levels: int) -> bool:
    """Whether a dict or list holds plain JSON only and nests at most `levels` levels (itself one)."""
    if levels <= 0:
        return False
    if type(value) is dict:
        if not set(map(type, value)) <= _STR_ONLY:
            return False
        items: Any = value.values()
    elif type(value) is list:
        items = value
    else:
        return False
    if set(map(type, items)) <= _PLAIN_JSON_SCALARS:  # the usual case, without a Python loop
        return True
    for item in items:
        kind = type(item)
        if kind in _PLAIN_JSON_SCALARS:
            continue
        if kind is float:
            if not math.isfinite(item):
                return False
        elif not _plain_json_container(item, levels - 1):
            return False
    return True


_STR_ONLY = frozenset({str})


def _validate_reporting_every_problem(data: dict[str, Any]) -> tuple[list[dict[str, str]], PersonaSpecV1 | None]:
    try:
        text = canonical_json(data)
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return list(_non_json_problems(data)) or [_problem("", "spec is not representable as JSON")], None
    # PostgreSQL's jsonb rejects \u0000; find where it is (rare, so only then walk the document).
    if "\\u0000" in text and (nul_problems := list(_non_json_problems(data))):
        return nul_problems, None
    if size > MAX_SPEC_BYTES:
        return [_problem("", f"spec is {size:,} bytes; the limit is {MAX_SPEC_BYTES:,} bytes (256 KiB)")], None

    schema_version = data.get("schema_version", 1)
    if type(schema_version) is not int or schema_version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))
        shown = _clipped(json.dumps(schema_version, ensure_ascii=False))
        message = f"unsupported schema_version {shown}; supported versions: {supported}"
        return [_problem("/schema_version", message)], None

    problems: list[dict[str, str]] = []
    spec = None
    try:
        # Validating the canonical text, not `data`, means the model holds exactly what is stored.
        spec = PersonaSpecV1.model_validate_json(
            text, strict=True, context={_CROSS_REFERENCES_REPORTED_SEPARATELY: True}
        )
    except ValidationError as exc:
        problems.extend(_readable(error) for error in exc.errors())
    problems.extend(cross_reference_problems(data))
    return problems, (None if problems else spec)


def cross_reference_problems(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Duplicate ids and few_shot_ids that do not name a canonical example.

    Works on raw (possibly invalid) data so these are reported alongside type errors elsewhere.
    Example ids are unique across canonical and anti examples together, so an id in a trace or a
    few_shot_ids list is never ambiguous.
    """
    problems: list[dict[str, str]] = []
    first_use: dict[tuple[str, str], tuple[str, int]] = {}  # (kind, id) -> (list, index) of first use
    id_lists = (("example", "canonical_examples"), ("example", "anti_examples"), ("module", "procedural_modules"))
    for kind, list_name in id_lists:
        for index, item in _dicts_in(data, list_name):
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            first = first_use.setdefault((kind, item_id), (list_name, index))
            if first != (list_name, index) and _is_id(item_id):  # a malformed id is reported already
                problems.append(_problem(
                    f"/{list_name}/{index}/id",
                    f"duplicate {kind} id '{item_id}' (first used at /{first[0]}/{first[1]}/id)",
                ))

    for module_index, module in _dicts_in(data, "procedural_modules"):
        few_shot_ids = module.get("few_shot_ids")
        for id_index, example_id in enumerate(few_shot_ids if isinstance(few_shot_ids, list) else ()):
            if not isinstance(example_id, str):
                continue
            first = first_use.get(("example", example_id))
            if (first and first[0] == "canonical_examples") or not _is_id(example_id):
                continue  # fine, or its pattern error is reported already
            path = f"/procedural_modules/{module_index}/few_shot_ids/{id_index}"
            if first:
                message = f"'{example_id}' is an anti-example; few_shot_ids must name canonical examples"
                problems.append(_problem(path, message))
            else:
                problems.append(_problem(path, f"unknown canonical example id '{example_id}'"))
    return problems


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None


def _dicts_in(data: Mapping[str, Any], list_name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = data.get(list_name)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _non_json_problems(
    value: Any, path: str = "", depth: int = 0, open_containers: frozenset[int] = frozenset()
) -> Iterator[dict[str, str]]:
    """Why `value` cannot be stored as JSON(B), with paths. Only runs once serialisation failed."""
    if isinstance(value, str):
        if "\x00" in value:
            yield _problem(path, "must not contain the NUL character (\\u0000)")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                yield _problem(path, "must not contain unpaired surrogate characters")
    elif isinstance(value, float) and not math.isfinite(value):
        yield _problem(path, "must be a finite number (NaN and Infinity are not JSON)")
    elif isinstance(value, (dict, list, tuple)):
        if id(value) in open_containers:
            yield _problem(path, "contains itself (circular reference)")
            return
        if depth >= 100:
            yield _problem(path, "is nested too deeply (more than 100 levels)")
            return
        inner = open_containers | {id(value)}
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    yield _problem(path, f"object keys must be strings (got {_json_type(key)} {key!r})")
                    continue
                yield from _non_json_problems(key, path, depth + 1, inner)
                yield from _non_json_problems(item, f"{path}/{_escape_pointer(key)}", depth + 1, inner)
        else:
            for index, item in enumerate(value):
                yield from _non_json_problems(item, f"{path}/{index}", depth + 1, inner)
    elif value is not None and not isinstance(value, (bool, int, float)):
        yield _problem(path, f"is not a JSON value (got Python {type(value).__name__})")


# --------------------------------------------------------------------------------------------
# Pydantic errors -> readable problems
# --------------------------------------------------------------------------------------------

_FIELDS_BY_MODEL_POSITION = {
    (): PersonaSpecV1,
    ("canonical_examples", int): Example,
    ("anti_examples", int): Example,
    ("procedural_modules", int): Module,
}


_EXPECTED_TYPES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
_ID_RULE = "1-120 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'"


def _readable(error: Mapping[str, Any]) -> dict[str, str]:
    loc = tuple(error["loc"])
    return _problem(_pointer(loc), _message(error, loc))


def _message(error: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    """Pydantic's error as a spec author would say it; its own wording only as a last resort."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        return f"unknown field '{loc[-1]}'{_did_you_mean(loc)}"
    if kind == "missing":
        return "required field is missing"
    if kind in _EXPECTED_TYPES:
        return f"must be {_EXPECTED_TYPES[kind]} (got {_json_type(value)})"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters (got {len(value)})"
    if kind == "too_long":
        unit = "keys" if isinstance(value, dict) else "items"
        return f"must have at most {ctx['max_length']} {unit} (got {len(value)})"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']} (got {value!r})"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']} (got {value!r})"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return f"must be {_ID_RULE} (got {_clipped(repr(value), 130)})"
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    position = tuple(int if isinstance(part, int) else part for part in loc[:-1])
    model = _FIELDS_BY_MODEL_POSITION.get(position)
    if model is None or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _pointer(loc: tuple[Any, ...]) -> str:
    """RFC 6901 JSON Pointer for a pydantic location."""
    return "".join(f"/{_escape_pointer(str(part))}" for part in loc)


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _clipped(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _problem(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return f"Python {type(value).__name__}"


# --------------------------------------------------------------------------------------------
# Canonical form, hash, JSON Schema
# --------------------------------------------------------------------------------------------


def canonical_json(data: Any) -> str:
    """The one serialisation used for storage, hashing and size limits.

    allow_nan=False: NaN and Infinity are not JSON and PostgreSQL's jsonb refuses them.
    check_circular=False: a circular structure raises RecursionError instead of ValueError (validation
    catches both and names the path); skipping the bookkeeping makes every call about 15% faster.
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
    )


def spec_hash(data: Any) -> str:
    """sha256 hex of the canonical JSON; equal content gives an equal hash whatever its key order."""
    return hash_of_canonical(canonical_json(data))


def hash_of_canonical(text: str) -> str:
    """`spec_hash` of the data whose `canonical_json` is `text` (for a caller that has the text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _json_schema() -> dict[str, Any]:
    schema = PersonaSpecV1.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "Persona spec v1",
        "description": (
            "How a digital twin speaks, decides and refuses. At most 256 KiB as canonical JSON. "
            "Example ids are unique across canonical_examples and anti_examples; module ids are "
            "unique; every few_shot_ids entry names a canonical example."
        ),
    }


def persona_spec_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of spec v1. A fresh copy each call: callers may not edit the cache."""
    return deepcopy(_json_schema())


# --------------------------------------------------------------------------------------------
# Semantic versions
# --------------------------------------------------------------------------------------------

Semver = tuple[int, int, int]


def parse_semver(version: str) -> Semver:
    """"1.0.10" -> (1, 0, 10). ValueError unless exactly MAJOR.MINOR.PATCH without leading zeros,
    every part small enough to store (at most MAX_VERSION_PART)."""
    match = SEMVER_RE.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        raise ValueError(f"not a semantic version MAJOR.MINOR.PATCH: {version!r}")
    return _checked_parts(tuple(int(part) for part in match.groups()))


def format_semver(version: Semver) -> str:
    """(1, 0, 10) -> "1.0.10"; ValueError for anything `parse_semver` would not return."""
    return "{}.{}.{}".format(*_checked_parts(version))


def next_patch(version: str | Semver) -> str:
    """The version after `version` when only the patch moves: "1.0.9" -> "1.0.10"."""
    major, minor, patch = parse_semver(version) if isinstance(version, str) else _checked_parts(version)
    return format_semver((major, minor, patch + 1))


def semver_key(version: str) -> Semver:
    """Sort key ordering versions numerically ("1.0.10" after "1.0.9"), not as text."""
    return parse_semver(version)


def _checked_parts(version: Any) -> Semver:
    if (
        not isinstance(version, (tuple, list))
        or len(version) != 3
        or any(type(part) is not int or not 0 <= part <= MAX_VERSION_PART for part in version)
    ):
        raise ValueError(f"version parts must be three integers from 0 to {MAX_VERSION_PART}: {version!r}")
    major, minor, patch = version
    return major, minor, patch
