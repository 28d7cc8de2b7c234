"""Valid specs are validated the fast way (`personas.spec._valid_spec_or_none`: pydantic on the
Python object, pydantic's serialiser for the NUL, surrogate and size checks); everything else by the
full check, which reports every problem. These hold the fast way to the full one: it accepts a spec
only when the full check does, and then gives the same model."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personas.compiler import compile_plan, precompile
from personas.spec import MAX_SPEC_BYTES, _valid_spec_or_none, _validate_reporting_every_problem, canonical_json

FIXTURES = Path(__file__).resolve().parents[2] / "personas" / "fixtures"


def _max_fixture() -> dict:
    return json.loads((FIXTURES / "persona_spec_max.json").read_text(encoding="utf-8"))


def assert_both_ways_agree(data: dict) -> None:
    problems, full_model = _validate_reporting_every_problem(data)
    fast_model = _valid_spec_or_none(data)
    if fast_model is not None:
        assert problems == []
        assert fast_model == full_model


def nested(depth: int, kind: str = "dict"):
    value: object = "x"
    for _ in range(depth):
        value = {"k": value} if kind == "dict" else [value]
    return value


class Text(str):
    def __format__(self, spec: str) -> str:
        return "something else"


@pytest.mark.parametrize("value", [
    (1, 2), {1, 2}, {"a": (1,)}, [float("nan")], {"x": float("inf")}, {1: "int key"}, Text("shown otherwise"),
    OrderedDict(a=1), [OrderedDict(a=1)], "nul\x00inside", {"key\x00": 1}, "lone \ud800 surrogate", b"bytes",
    1e-8, [1e-300, -2.5e-7, 0.0001, 1e16], 10**40, True, None,
])
@pytest.mark.parametrize("where", ["metadata", "module when", "module do", "rules extra", "voice"])
def test_odd_values_take_the_full_check_or_agree_with_it(value, where):
    spec = {"procedural_modules": [{"id": "m", "when": {}, "do": []}], "deterministic_rules": {}}
    if where == "metadata":
        spec["metadata"] = {"v": value}
    elif where == "module when":
        spec["procedural_modules"][0]["when"] = {"v": value}
    elif where == "module do":
        spec["procedural_modules"][0]["do"] = [value]
    elif where == "rules extra":
        spec["deterministic_rules"]["v"] = value
    else:
        spec["identity_voice"] = {"v": value}
    assert_both_ways_agree(spec)


@pytest.mark.parametrize("depth", [196, 197, 198, 199, 200])
@pytest.mark.parametrize("kind", ["dict", "list"])
def test_nesting_limit_is_the_json_parsers(depth, kind):
    """The full check validates canonical JSON text, whose parser refuses more than 200 levels."""
    for spec in ({"metadata": {"k": nested(depth, kind)}},
                 {"procedural_modules": [{"id": "m", "when": {"k": nested(depth - 2, kind)}}]},
                 {"procedural_modules": [{"id": "m", "do": [nested(depth - 2, kind)]}]},
                 {"deterministic_rules": {"k": nested(depth, kind)}}):
        assert_both_ways_agree(spec)
    assert (_valid_spec_or_none({"metadata": {"k": nested(depth, kind)}}) is None) == (depth > 198)


def test_size_limit_counts_the_canonical_float_spelling():
    """pydantic writes 1e-8 where json writes 1e-08: a spec one byte over only in canonical JSON is
    still too large."""
    spec = {"metadata": {"floats": [1e-8] * 2000, "pad": ""}}
    spec["metadata"]["pad"] = "x" * (MAX_SPEC_BYTES + 1 - len(canonical_json(spec).encode()))
    assert len(canonical_json(spec).encode()) == MAX_SPEC_BYTES + 1
    assert _valid_spec_or_none(spec) is None
    assert _validate_reporting_every_problem(spec)[0] == [
        {"path": "", "message": "spec is 262,145 bytes; the limit is 262,144 bytes (256 KiB)"}]
    spec["metadata"]["pad"] = spec["metadata"]["pad"][1:]
    assert _valid_spec_or_none(spec) is not None


def test_the_max_fixture_takes_the_fast_way():
    assert _valid_spec_or_none(_max_fixture()) is not None


def test_rules_extra_keys_come_out_sorted_whatever_the_callers_order():
    """A spec validated from canonical JSON had its keys sorted; the plan's rules keep that order."""
    spec = {"deterministic_rules": {"zeta": {"b": 1, "a": [{"y": 1, "x": 2}]}, "alpha": 1}}
    for rules in (compile_plan(spec).deterministic_rules, precompile(spec).plan().deterministic_rules):
        assert json.dumps(rules) == json.dumps(
            {"alpha": 1, "zeta": {"a": [{"x": 2, "y": 1}], "b": 1}, "banned_phrases": [], "anti_style_rules": []})


_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                          st.text(max_size=8))
_json_values = st.recursive(
    _json_scalars | st.tuples(st.integers()) | st.sets(st.integers(), max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(_json_values, _json_values)
def test_any_free_form_value_agrees(metadata_value, when_value):
    assert_both_ways_agree({"metadata": {"v": metadata_value},
                            "procedural_modules": [{"id": "m", "when": {"w": when_value}, "do": [when_value]}]})


def test_fast_model_renders_like_the_full_one():
    spec = _max_fixture()
    spec["procedural_modules"][0]["say_style"]["nested"] = {"b": [1.5, {"z": None, "a": math.pi}], "a": "x"}
    _, full_model = _validate_reporting_every_problem(spec)
    assert precompile(spec).render("advice_or_stance", "pricing") == precompile(full_model).render(
        "advice_or_stance", "pricing")
