"""The cold path's rewrites (issue #13) against the straightforward code they replaced.

Each reference below is the earlier implementation, kept here verbatim in what it computes (helpers
the rewrites left as they were, such as `_scalar`, are imported instead); the rewrites must give equal
results on any input, not only on the fixtures the digests cover.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from personas.banned_phrases import PhraseMatcher, words_of
from personas.compiler import CompileOptions, compile_plan, precompile
from personas.compliance import (
    ANTI_EXAMPLE_COPY_SHARE,
    ANTI_EXAMPLE_MIN_WORDS,
    BREVITY_MAX_WORDS,
    DECISIVE_WORDS,
    DEFAULT_MAX_HEDGES_PER_100_WORDS,
    DEFAULT_MAX_WORDS,
    DEFAULT_MAX_WORDS_BY_INTENT,
    DEFAULT_MIN_WORDS,
    ComplianceProfile,
    IntentRules,
    _AntiExample,
    _Bound,
    _clarify_source,
    _mapping,
    _structure_named,
    content_words,
)
from personas.prompt_text import _scalar, list_lines, mapping_lines, module_block  # _scalar: unchanged
from personas.spec import INTENT_LABELS, Module, PersonaSpecV1, parse_spec

_text = st.text(max_size=12) | st.sampled_from(["", "a\nb", "direct", "x" * 3])
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=12,
)
_mappings = st.dictionaries(_text, _json_values, max_size=5)


def _reference_mapping_lines(mapping, depth: int = 0) -> list[str]:
    pad = "  " * depth
    lines = []
    for key in sorted(mapping):
        value = mapping[key]
        if isinstance(value, dict) and value:
            lines.append(f"{pad}- {key}:")
            lines.extend(_reference_mapping_lines(value, depth + 1))
        elif isinstance(value, list) and value:
            lines.append(f"{pad}- {key}:")
            lines.extend(_reference_list_lines(value, depth + 1))
        else:
            lines.append(f"{pad}- {key}: {_scalar(value, pad)}")
    return lines


def _reference_list_lines(items, depth: int = 0) -> list[str]:
    pad = "  " * depth
    return [f"{pad}- {_scalar(item, pad)}" for item in items]


def _reference_module_block(module: Module) -> str:
    lines = [f"### {module.id}"]
    for label, value in (("When", module.when), ("Do", module.do), ("Say style", module.say_style)):
        if value:
            lines.extend(_reference_mapping_lines({label: value}))
    return "\n".join(lines) if len(lines) > 1 else ""


@settings(max_examples=300, deadline=None)
@given(_mappings, st.integers(min_value=0, max_value=3))
def test_mapping_and_list_lines_equal_the_reference(mapping, depth):
    assert mapping_lines(mapping, depth) == _reference_mapping_lines(mapping, depth)
    items = list(mapping.values())
    assert list_lines(items, depth) == _reference_list_lines(items, depth)


@settings(max_examples=300, deadline=None)
@given(_mappings, st.lists(_json_values, max_size=4), _mappings)
def test_module_block_equals_the_reference(when, do, say_style):
    module = Module(id="m.1", when=when, do=do, say_style=say_style)
    assert module_block(module) == _reference_module_block(module)


# --------------------------------------------------------------------------------------------
# The compliance profile and the intent plans
# --------------------------------------------------------------------------------------------


def _reference_profile(spec: PersonaSpecV1, selections) -> ComplianceProfile:
    """`compliance_profile` as first written: every rule worked out for each intent on its own."""
    extra = spec.deterministic_rules.model_extra or {}
    modules_by_id = {module.id: module for module in spec.procedural_modules}
    labels = {None, *INTENT_LABELS, *selections}
    for key in ("length_by_intent", "structure_by_intent"):
        labels.update(label for label in _mapping(extra.get(key)) if isinstance(label, str))
    spec_hedging = _reference_spec_hedging(spec, extra)

    def rules(label):
        selection = selections.get(label) or selections[None]
        modules = [modules_by_id[module_id] for module_id in selection.module_ids]
        min_words, max_words = _reference_length_bounds(spec, extra, label)
        structure, structure_source = _reference_structure(extra, modules, spec.interaction_style, label)
        limit, hedging_source = spec_hedging or _reference_module_hedging(modules)
        return IntentRules(
            banned=PhraseMatcher.of(selection.banned_phrases),
            min_words=min_words,
            max_words=max_words,
            structure=structure,
            structure_source=structure_source,
            clarify_source=_clarify_source(spec, modules, label),
            max_hedges_per_100_words=limit,
            hedging_source=hedging_source,
        )

    anti_examples = []
    for index, example in enumerate(spec.anti_examples):
        words = content_words(example.response)
        if len(words) >= ANTI_EXAMPLE_MIN_WORDS:
            copied_at = math.ceil(ANTI_EXAMPLE_COPY_SHARE * len(words))
            anti_examples.append(_AntiExample(example.id or f"/anti_examples/{index}", words, copied_at))
    return ComplianceProfile(
        intents={label: rules(label) for label in sorted(labels, key=lambda label: (label is not None, label or ""))},
        anti_examples=tuple(anti_examples),
        anti_vocabulary=frozenset().union(*(anti.words for anti in anti_examples)),
        anti_fewest_copied=min((anti.copied_at for anti in anti_examples), default=0),
    )


def _reference_length_bounds(spec, extra, label):
    by_intent = _mapping(_mapping(extra.get("length_by_intent")).get(label)) if label is not None else {}
    intent_path = f"deterministic_rules.length_by_intent.{label}"
    brevity = spec.interaction_style.get("brevity_default")
    brevity_max = BREVITY_MAX_WORDS.get(brevity.strip().lower()) if isinstance(brevity, str) else None
    minimum = _reference_first_count(
        (by_intent.get("min_words"), f"{intent_path}.min_words"),
        (extra.get("min_words"), "deterministic_rules.min_words"),
        (DEFAULT_MIN_WORDS, "default"),
    )
    maximum = _reference_first_count(
        (by_intent.get("max_words"), f"{intent_path}.max_words"),
        (extra.get("max_words"), "deterministic_rules.max_words"),
        (brevity_max, f"interaction_style.brevity_default {brevity!r}"),
        (DEFAULT_MAX_WORDS_BY_INTENT.get(label or "", DEFAULT_MAX_WORDS), f"default for {label or 'no intent'}"),
    )
    return minimum, maximum


def _reference_first_count(*candidates):
    for value, source in candidates:
        if type(value) is int and value >= 0:
            return _Bound(value, source)
    raise AssertionError("the last candidate is always a default")


def _reference_structure(extra, modules, interaction_style, label):
    if label is not None and (found := _structure_named(_mapping(extra.get("structure_by_intent")).get(label))):
        return found, f"deterministic_rules.structure_by_intent.{label}"
    for module in modules:
        for key in ("structure", "format"):
            if found := _structure_named(module.say_style.get(key)):
                return found, f"module {module.id} say_style.{key}"
    if found := _structure_named(interaction_style.get("structure_default")):
        return found, "interaction_style.structure_default"
    return None, ""


def _reference_spec_hedging(spec, extra):
    limit = extra.get("max_hedges_per_100_words")
    if type(limit) in (int, float) and math.isfinite(limit) and limit >= 0:
        return float(limit), "deterministic_rules.max_hedges_per_100_words"
    for name in ("identity_voice", "interaction_style"):
        path = _reference_decisive_path(getattr(spec, name), name)
        if path:
            return DEFAULT_MAX_HEDGES_PER_100_WORDS, f"a decisive voice ({path})"
    return None


def _reference_module_hedging(modules):
    for module in modules:
        path = _reference_decisive_path(module.say_style, f"module {module.id} say_style")
        if path:
            return DEFAULT_MAX_HEDGES_PER_100_WORDS, f"a decisive voice ({path})"
    return None, ""


def _reference_decisive_path(value, path: str) -> str:
    if isinstance(value, str):
        return path if DECISIVE_WORDS.intersection(words_of(value.casefold())) else ""
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            item = value[key]
            if item is True and str(key).casefold() in DECISIVE_WORDS:
                return f"{path}.{key}"
            found = _reference_decisive_path(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _reference_decisive_path(item, f"{path}[{index}]")
            if found:
                return found
    return ""


_labels = st.sampled_from([*INTENT_LABELS, "custom_label"])
_words = st.sampled_from(["direct", "Directly", "DECISIVE", "warm", "plan", "clarify", "Clarify first", "maybe",
                          "numbered", " Bullets ", "paragraph", "table", "concise", "Detailed", "é direct", "naïve"])
_counts = st.one_of(st.integers(min_value=-5, max_value=900), st.booleans(), st.floats(0, 9), _words)
_styles = st.dictionaries(st.sampled_from(["tone", "structure", "format", "decisive", "direct", "notes"]),
                          st.one_of(_words, st.booleans(), st.lists(_words, max_size=2), st.dictionaries(
                              st.sampled_from(["tone", "direct"]), st.one_of(_words, st.booleans()), max_size=2)),
                          max_size=3)
_modules = st.lists(st.fixed_dictionaries({
    "intent_labels": st.lists(_labels, max_size=3),
    "do": st.lists(_words, max_size=3),
    "say_style": _styles,
    "ban": st.lists(st.sampled_from(["AI", "ai", "Great question!", "great  question!", "synergy", "x", "é"]),
                    max_size=3),
    "priority": st.integers(min_value=0, max_value=3),
    "active": st.booleans(),
}), max_size=6)
_rules = st.fixed_dictionaries({}, optional={
    "banned_phrases": st.lists(st.sampled_from(["AI", "synergy", "circle back", "Synergy"]), max_size=3),
    "min_words": _counts,
    "max_words": _counts,
    "max_hedges_per_100_words": _counts,
    "length_by_intent": st.dictionaries(_labels, st.dictionaries(st.sampled_from(["min_words", "max_words"]), _counts,
                                                                 max_size=2) | _words, max_size=3),
    "structure_by_intent": st.dictionaries(_labels, _words, max_size=3),
})
_anti = st.lists(st.text(alphabet="abc déf ghi jkl mno pqr stu vwx yz the and plan AI,.\n", max_size=120), max_size=4)


@settings(max_examples=300, deadline=None)
@given(_modules, _rules, _styles, _styles, st.sampled_from(["concise", " Balanced", "detailed", "long", None]),
       st.booleans(), _anti)
def test_compliance_profile_equals_the_reference(modules, rules, voice, style, brevity, clarify, anti_responses):
    raw = {
        "identity_voice": voice,
        "interaction_style": {**style, **({"brevity_default": brevity} if brevity else {})},
        "decision_policy": {"clarify_when_ambiguous": clarify},
        "canonical_examples": [{"id": f"ex{index}", "intent_label": label, "prompt": f"question {index}",
                                "response": "answer"} for index, label in enumerate(INTENT_LABELS[:3])],
        "anti_examples": [{"intent_label": "meta_or_system", "prompt": "bad", "response": response}
                          for response in anti_responses if response.strip()],
        "procedural_modules": [{"id": f"m{index}", **module, "few_shot_ids": [f"ex{index % 3}"]}
                               for index, module in enumerate(modules)],
        "deterministic_rules": rules,
    }
    compiled = precompile(raw)
    assert compiled.compliance == _reference_profile(parse_spec(raw), compiled.intents)


@settings(max_examples=200, deadline=None)
@given(_modules, st.lists(_labels, max_size=6), st.integers(min_value=0, max_value=4))
def test_intent_plans_equal_the_plain_compile(modules, example_labels, max_few_shots):
    raw = {
        "canonical_examples": [{"id": f"ex{index}", "intent_label": label, "prompt": f"question {index}",
                                "response": "answer"} for index, label in enumerate(example_labels)],
        "procedural_modules": [{"id": f"m{index}", **module,
                                "few_shot_ids": [f"ex{(index + shift) % len(example_labels)}" for shift in range(2)]
                                if example_labels else []}
                               for index, module in enumerate(modules)],
    }
    options = CompileOptions(min_few_shots=0, max_few_shots=max_few_shots)
    compiled = precompile(raw, options)
    for intent in (None, *INTENT_LABELS, "custom_label", "unknown"):
        for query in (None, "question 1", "question"):
            assert compiled.plan(intent, query) == compile_plan(raw, intent, query, options)
