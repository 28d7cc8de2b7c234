"""Prompt compiler: section order, module and few-shot selection, determinism, and the precompiled
hot path producing exactly what the plain path produces (plain Python, no Django)."""

from __future__ import annotations

import hashlib
import json
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personas.compiler import (
    SECTION_ORDER,
    CompileOptions,
    PromptPlan,
    compile_plan,
    precompile,
    render,
)
from personas.spec import INTENT_LABELS, SpecValidationError

FIXTURES = Path(__file__).resolve().parents[2] / "personas" / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden" / "example_rendered.txt"
GOLDEN_INTENT = "advice_or_stance"
GOLDEN_QUERY = "Should we raise a seed round now?"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


EXAMPLE = load_fixture("persona_spec_example.json")
MAX = load_fixture("persona_spec_max.json")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def example(example_id: str | None, prompt: str, intent: str = "advice_or_stance", **fields) -> dict:
    item = {"intent_label": intent, "prompt": prompt, "response": f"Answer to: {prompt}", **fields}
    if example_id is not None:
        item["id"] = example_id
    return item


def module(module_id: str, *intents: str, **fields) -> dict:
    return {"id": module_id, "intent_labels": list(intents), "do": [f"follow {module_id}"], **fields}


# --------------------------------------------------------------------------------------------
# Golden text and structure
# --------------------------------------------------------------------------------------------


def test_example_spec_renders_the_golden_text():
    plan = compile_plan(EXAMPLE, GOLDEN_INTENT, GOLDEN_QUERY)
    text = render(plan)

    assert text == GOLDEN.read_text(encoding="utf-8")
    assert plan.fingerprint == sha256(text)
    assert plan.persona_spec_version is None
    assert plan.selected_module_ids == ("procedural.decision.clarify_before_advice",)
    assert plan.few_shot_ids == ("ex.fundraising.size", "ex.pricing.pilot")


def test_author_docs_show_the_golden_text():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "persona-spec.md").read_text(encoding="utf-8")

    assert f"```text\n{GOLDEN.read_text(encoding='utf-8')}\n```" in docs


def test_sections_follow_the_fixed_order():
    plan = compile_plan({**EXAMPLE, "custom_instructions": "Keep answers under 150 words."}, GOLDEN_INTENT,
                        GOLDEN_QUERY)

    assert tuple(section.name for section in plan.sections) == SECTION_ORDER
    headings = [line for line in render(plan).splitlines() if line.startswith("## ")]
    assert headings == [f"## {name}" for name in SECTION_ORDER]


def test_custom_instructions_come_last_in_both_paths_and_blank_ones_are_omitted():
    spec = {**EXAMPLE, "custom_instructions": "  Keep answers under 150 words.  "}
    text = render(compile_plan(spec, GOLDEN_INTENT, GOLDEN_QUERY))
    assert text.endswith("## CUSTOM INSTRUCTIONS\n\nKeep answers under 150 words.")
    assert precompile(spec).render(GOLDEN_INTENT, GOLDEN_QUERY) == text
    assert precompile(spec).plan(GOLDEN_INTENT, GOLDEN_QUERY) == compile_plan(spec, GOLDEN_INTENT, GOLDEN_QUERY)
    assert "CUSTOM INSTRUCTIONS" not in render(compile_plan({**EXAMPLE, "custom_instructions": "   "}))


def test_empty_sections_are_omitted():
    assert render(compile_plan({})) == ""
    plan = compile_plan({"constitution": ["Be honest."], "decision_policy": {}})

    assert render(plan) == "## CONSTITUTION\n\nRules you never break. They override everything below.\n- Be honest."
    assert [section.name for section in plan.sections] == ["CONSTITUTION"]


def test_mappings_render_sorted_at_every_depth():
    spec = {"identity_voice": {"b": {"y": 1, "x": [True, {"k": "v", "a": None}]}, "a": "two\nlines", "c": []}}

    section = compile_plan(spec).sections[0]

    assert section.text.splitlines() == [
        "Who you are and how you sound.",
        "- a: two",
        "  lines",
        "- b:",
        "  - x:",
        "    - true",
        '    - {"a":null,"k":"v"}',
        "  - y: 1",
        "- c: []",
    ]


def test_plan_as_dict_is_json_ready():
    plan = compile_plan(EXAMPLE, GOLDEN_INTENT, GOLDEN_QUERY)

    preview = json.loads(json.dumps(plan.as_dict()))

    assert preview == {
        "persona_spec_version": None,
        "intent_label": GOLDEN_INTENT,
        "sections": [{"name": section.name, "text": section.text} for section in plan.sections],
        "few_shot_ids": ["ex.fundraising.size", "ex.pricing.pilot"],
        "selected_module_ids": ["procedural.decision.clarify_before_advice"],
        "deterministic_rules": {
            "banned_phrases": ["As an AI language model", "Great question!", "I might be wrong but"],
            "anti_style_rules": ["Do not over-explain simple answers", "Avoid generic motivational filler"],
        },
        "fingerprint": plan.fingerprint,
    }


def test_version_comes_from_the_spec_unless_overridden():
    assert compile_plan(MAX).persona_spec_version == "3.4.5"
    assert compile_plan(MAX, persona_spec_version="3.4.6").persona_spec_version == "3.4.6"
    assert precompile(EXAMPLE, persona_spec_version="1.0.2").plan().persona_spec_version == "1.0.2"


def test_invalid_raw_spec_raises():
    with pytest.raises(SpecValidationError):
        compile_plan({"constitution": [""]})
    with pytest.raises(SpecValidationError):
        precompile({"schema_version": 2})


@pytest.mark.parametrize(("minimum", "maximum"), [(-1, 4), (3, 2)])
def test_compile_options_must_be_ordered(minimum, maximum):
    with pytest.raises(ValueError):
        CompileOptions(min_few_shots=minimum, max_few_shots=maximum)


# --------------------------------------------------------------------------------------------
# Determinism: key order and JSON round trips never change the text
# --------------------------------------------------------------------------------------------

json_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | json_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(json_text, children, max_size=3),
    max_leaves=10,
)
free_form = st.dictionaries(json_text, json_values, max_size=4)


def shuffled(value, rnd: random.Random):
    """The same JSON value with every object's keys in a random order (list order is meaning)."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {key: shuffled(item, rnd) for key, item in items}
    if isinstance(value, list):
        return [shuffled(item, rnd) for item in value]
    return value


@settings(max_examples=60, deadline=None)
@given(
    base=st.sampled_from([EXAMPLE, MAX]),
    extras=st.fixed_dictionaries(
        {"identity_voice": free_form, "stance_values": free_form, "when": free_form, "say_style": free_form}
    ),
    intent=st.sampled_from([None, *INTENT_LABELS]),
    query=st.sampled_from([None, "", GOLDEN_QUERY, "pricing strategy and hiring plans", "runway Q2"]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_key_order_and_json_round_trip_never_change_the_output(base, extras, intent, query, seed):
    rnd = random.Random(seed)  # a seeded Random, not st.randoms(): hypothesis-drawn shuffles are slow
    spec = json.loads(json.dumps(base))
    for field in ("identity_voice", "stance_values"):  # prefixed keys: added to, never replacing, the fixture's
        spec[field] = {**spec[field], **{f"x{key}": value for key, value in extras[field].items()}}
    spec["procedural_modules"][0]["when"] = extras["when"]
    spec["procedural_modules"][0]["say_style"] = extras["say_style"]

    reference = compile_plan(spec, intent, query)
    for variant in (shuffled(spec, rnd), json.loads(json.dumps(spec)), json.loads(json.dumps(shuffled(spec, rnd)))):
        plan = compile_plan(variant, intent, query)
        assert render(plan) == render(reference)
        assert plan.fingerprint == reference.fingerprint == sha256(render(reference))


# --------------------------------------------------------------------------------------------
# Module selection
# --------------------------------------------------------------------------------------------


def test_modules_for_the_intent_by_priority_then_id_inactive_excluded():
    spec = {
        "procedural_modules": [
            module("m.b", "advice_or_stance", priority=10),
            module("m.a", "advice_or_stance", "meta_or_system", priority=10),
            module("m.c", "advice_or_stance", priority=5),
            module("m.off", "advice_or_stance", priority=1, active=False),
            module("m.other", "factual_with_evidence", priority=0),
            module("m.default", "advice_or_stance"),
        ]
    }

    assert compile_plan(spec, "advice_or_stance").selected_module_ids == ("m.c", "m.a", "m.b", "m.default")
    assert compile_plan(spec, "meta_or_system").selected_module_ids == ("m.a",)
    text = render(compile_plan(spec, "advice_or_stance"))
    assert text.index("### m.c") < text.index("### m.a") < text.index("### m.b") < text.index("### m.default")
    assert "m.off" not in text and "m.other" not in text


@pytest.mark.parametrize("intent", [None, "not_a_known_label"])
def test_no_modules_without_a_known_intent(intent):
    plan = compile_plan(EXAMPLE, intent, GOLDEN_QUERY)

    assert plan.selected_module_ids == ()
    assert plan.intent_label == intent
    assert "INTENT PROCEDURAL MODULES" not in render(plan)


def test_module_with_nothing_to_say_is_selected_but_not_rendered():
    spec = {"procedural_modules": [{"id": "bans.only", "intent_labels": ["meta_or_system"], "ban": ["Honestly,"]}]}

    plan = compile_plan(spec, "meta_or_system")

    assert plan.selected_module_ids == ("bans.only",)
    assert [section.name for section in plan.sections] == ["ANTI-STYLE RULES"]
    assert plan.deterministic_rules["banned_phrases"] == ["Honestly,"]


# --------------------------------------------------------------------------------------------
# Few-shot choice
# --------------------------------------------------------------------------------------------

RANKING_SPEC = {
    "canonical_examples": [
        example("hiring", "How do we hire engineers?"),
        example("pricing", "How should we set pricing for enterprise deals?"),
        example("benchmark", "What is the enterprise pricing benchmark?", intent="factual_with_evidence"),
        example("plants", "Which office plants survive?", intent="factual_with_evidence"),
        example("twin.a", "Office snacks policy?", intent="meta_or_system"),
        example("twin.b", "Office snacks policy?", intent="meta_or_system"),
    ],
    "procedural_modules": [
        module("names.plants", "summarize_or_transform", few_shot_ids=["plants"]),
        module(
            "names.many",
            "disagreement_or_conflict",
            few_shot_ids=["twin.b", "plants", "hiring", "pricing", "benchmark"],
        ),
        module("names.overlap.1", "action_or_tool_execution", priority=1, few_shot_ids=["benchmark", "hiring"]),
        module("names.overlap.2", "action_or_tool_execution", priority=2, few_shot_ids=["hiring", "pricing"]),
    ],
}


def few_shot_ids(intent, query, **options) -> tuple[str, ...]:
    plan = compile_plan(RANKING_SPEC, intent, query, CompileOptions(**options) if options else None)
    return plan.few_shot_ids


def test_query_overlap_and_intent_rank_the_examples():
    # pricing: intent + 2 shared words; benchmark: 2 shared words; hiring: intent only.
    assert few_shot_ids("advice_or_stance", "enterprise pricing") == ("pricing", "benchmark", "hiring")


def test_two_shared_words_beat_a_matching_intent_and_one_ties_with_it():
    assert few_shot_ids("advice_or_stance", "office plants", min_few_shots=1, max_few_shots=1) == ("plants",)
    assert few_shot_ids("advice_or_stance", "survive", min_few_shots=1, max_few_shots=1) == ("hiring",)


def test_ties_keep_spec_order():
    assert few_shot_ids("meta_or_system", "office snacks") == ("twin.a", "twin.b", "plants")
    assert few_shot_ids("meta_or_system", "snacks", min_few_shots=1, max_few_shots=1) == ("twin.a",)


def test_unrelated_examples_only_fill_up_to_the_minimum():
    assert few_shot_ids(None, "quantum chromodynamics") == ("hiring", "pricing")
    assert few_shot_ids(None, None, min_few_shots=3) == ("hiring", "pricing", "benchmark")
    assert few_shot_ids(None, "", min_few_shots=0) == ()


def test_at_most_max_few_shots():
    assert len(few_shot_ids(None, "how office enterprise pricing plants snacks hire engineers")) == 4


def test_module_named_examples_come_first():
    assert few_shot_ids("summarize_or_transform", "enterprise pricing") == ("plants", "pricing", "benchmark")


def test_module_named_examples_are_capped_and_deduplicated_in_module_order():
    assert few_shot_ids("disagreement_or_conflict", "enterprise pricing") == ("twin.b", "plants", "hiring", "pricing")
    assert few_shot_ids("action_or_tool_execution", None) == ("benchmark", "hiring", "pricing")


def test_few_shot_count_is_bounded_by_the_spec():
    one = {"canonical_examples": [example("only", "Anything?")]}

    assert compile_plan(one).few_shot_ids == ("only",)
    assert "CANONICAL FEW-SHOTS" not in render(compile_plan({"constitution": ["x"]}))


def test_examples_without_an_id_are_named_by_their_pointer():
    spec = {"canonical_examples": [example(None, "First?"), example("second", "Second?")]}

    assert compile_plan(spec).few_shot_ids == ("/canonical_examples/0", "second")


# --------------------------------------------------------------------------------------------
# Anti-style rules
# --------------------------------------------------------------------------------------------


def test_banned_phrases_merge_spec_then_selected_modules_without_duplicates():
    spec = {
        "deterministic_rules": {"banned_phrases": ["A", "B"], "anti_style_rules": ["Be brief"], "max_chars": 900},
        "procedural_modules": [
            module("m1", "advice_or_stance", priority=1, ban=["B", "C"]),
            module("m2", "advice_or_stance", priority=2, ban=["C", "D"]),
            module("m3", "meta_or_system", ban=["E"]),
        ],
    }

    plan = compile_plan(spec, "advice_or_stance")

    assert plan.deterministic_rules == {
        "banned_phrases": ["A", "B", "C", "D"],
        "anti_style_rules": ["Be brief"],
        "max_chars": 900,
    }
    assert 'Never say: "A", "B", "C", "D"' in render(plan)
    assert compile_plan(spec).deterministic_rules["banned_phrases"] == ["A", "B"]


def test_anti_examples_become_compact_one_liners():
    long_answer = "Great question!\n\n" + "There are many factors to weigh here. " * 40
    spec = {"anti_examples": [example("anti.long", "Should we raise now? " * 10, response=long_answer)]}

    section = compile_plan(spec).sections[-1]
    lines = section.text.split("\n\n")[1].splitlines()

    assert section.name == "ANTI-STYLE RULES"
    assert len(lines) == 1
    assert lines[0].startswith('- To "Should we raise now? Should we raise now?')
    assert 'do not answer like this: "Great question! There are many factors' in lines[0]
    assert lines[0].endswith('…"')
    assert len(lines[0]) < 300


# --------------------------------------------------------------------------------------------
# Precompiled hot path == plain path
# --------------------------------------------------------------------------------------------

QUERIES = [None, "", GOLDEN_QUERY, "What was our runway at the end of Q2?", "pricing strategy and hiring plans",
           "Question 17 about pricing", "¿Cuánto deberíamos levantar?"]
LABELS = [None, *INTENT_LABELS, "not_a_known_label"]
OPTIONS = [
    CompileOptions(),
    CompileOptions(min_few_shots=0, max_few_shots=1),
    CompileOptions(min_few_shots=3, max_few_shots=12),
]
QUERY_WORDS = "raise seed round pricing enterprise question 12 office plans hire runway q2 the".split()


def assert_same_output(spec, compiled, intent, query, options):
    plan = compile_plan(spec, intent, query, options)
    text = render(plan)

    assert compiled.plan(intent, query) == plan
    assert compiled.render(intent, query) == text
    fast = compiled.render_with_fingerprint(intent, query)
    assert (fast.text, fast.fingerprint) == (text, plan.fingerprint)
    assert fast.few_shot_ids == plan.few_shot_ids
    assert fast.module_ids == plan.selected_module_ids
    assert list(fast.banned_phrases) == plan.deterministic_rules["banned_phrases"]
    assert (fast.intent_label, fast.persona_spec_version) == (intent, plan.persona_spec_version)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: f"{o.min_few_shots}-{o.max_few_shots}")
@pytest.mark.parametrize("spec", [EXAMPLE, MAX, RANKING_SPEC], ids=["example", "max", "ranking"])
def test_precompiled_equals_plain_for_every_intent_and_query(spec, options):
    compiled = precompile(spec, options)

    for intent in LABELS:
        for query in QUERIES:
            assert_same_output(spec, compiled, intent, query, options)


@settings(max_examples=100, deadline=None)
@given(
    spec=st.sampled_from([EXAMPLE, MAX, RANKING_SPEC]),
    intent=st.sampled_from(LABELS),
    words=st.lists(st.sampled_from(QUERY_WORDS), max_size=6),
    options=st.sampled_from(OPTIONS),
)
def test_precompiled_equals_plain_for_any_query(spec, intent, words, options):
    assert_same_output(spec, precompile(spec, options), intent, " ".join(words), options)


def test_compiled_spec_survives_pickle_unchanged():
    for spec in (EXAMPLE, MAX):
        compiled = precompile(spec)

        restored = pickle.loads(pickle.dumps(compiled))

        assert restored == compiled
        for intent in LABELS:
            for query in QUERIES:
                expected = compiled.render_with_fingerprint(intent, query)
                assert restored.render_with_fingerprint(intent, query) == expected


def test_precompiled_plan_is_a_prompt_plan_the_caller_cannot_corrupt():
    compiled = precompile(EXAMPLE)
    plan = compiled.plan(GOLDEN_INTENT, GOLDEN_QUERY)
    plan.deterministic_rules["banned_phrases"].append("mutated")

    assert isinstance(plan, PromptPlan)
    assert "mutated" not in compiled.plan(GOLDEN_INTENT, GOLDEN_QUERY).deterministic_rules["banned_phrases"]


def test_schema_and_compiler_import_without_django():
    check = "import sys, personas.compiler, personas.spec; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"

    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", check], cwd=root, env={"PYTHONPATH": str(root)}).returncode == 0
