"""The cold path's speed-ups change nothing a caller can see.

`precompile` renders each module once, tokenises without a regex and builds the compliance matchers
from the spec's shared phrases; these digests were taken from the compiler as it was before
(commit 99c8de6) over every intent, several queries and replies, so any change in the rendered text,
the plan, the trace fields or the compliance verdicts fails here. The hypothesis tests in
test_compiler.py hold the precompiled path to the plain one (which renders modules the old way).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personas.banned_phrases import words_of
from personas.compiler import precompile
from personas.compliance import check_compliance
from personas.prompt_text import module_block, module_section_text, query_tokens
from personas.spec import INTENT_LABELS, parse_spec

FIXTURES = Path(__file__).resolve().parents[2] / "personas" / "fixtures"
QUERIES = [None, "", "Should we raise a seed round now?", "Question 8 about pricing strategy", "Summarize this memo",
           "Is this hiring plan legal? maybe I think"]
REPLIES = ["Maybe. I think it depends, perhaps.", "- one\n- two\nLet me be direct: charge from day one.",
           "As an AI, great question! Let's circle back."]
DIGESTS_BEFORE_THE_SPEED_UP = {
    "persona_spec_example.json": "f057152ef424caffd41e3a9aa8f68c33f5af7c682060d61f7e6797e9d059878b",
    "persona_spec_max.json": "be9e666f0409192de15079990a0df84c49acb721d6046047de88236113013447",
}


def _digest(spec: dict) -> str:
    compiled = precompile(spec)
    rows = []
    for intent in (None, *INTENT_LABELS, "unknown_label"):
        for query in QUERIES:
            rendered = compiled.render_with_fingerprint(intent, query)
            rows.append({
                "intent": intent, "query": query, "fingerprint": rendered.fingerprint,
                "module_ids": list(rendered.module_ids), "few_shot_ids": list(rendered.few_shot_ids),
                "banned": list(rendered.banned_phrases), "plan": compiled.plan(intent, query).as_dict(),
                "compliance": [check_compliance(compiled, intent, reply, query or "").as_dict() for reply in REPLIES],
            })
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("fixture", sorted(DIGESTS_BEFORE_THE_SPEED_UP))
def test_precompiled_output_is_what_it_was_before_the_speed_up(fixture):
    spec = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    assert _digest(spec) == DIGESTS_BEFORE_THE_SPEED_UP[fixture]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_query_tokens_are_the_regex_words(text):
    import re

    words = set(re.findall(r"\w+", text.lower()))
    assert set(words_of(text.lower())) == words
    assert query_tokens(text) <= frozenset(words)


def test_module_text_from_prerendered_blocks_equals_rendering_them():
    spec = parse_spec(json.loads((FIXTURES / "persona_spec_max.json").read_text(encoding="utf-8")))
    blocks = {module.id: module_block(module) for module in spec.procedural_modules}
    for intent in INTENT_LABELS:
        modules = [module for module in spec.procedural_modules if intent in module.intent_labels]
        assert module_section_text(intent, modules, blocks) == module_section_text(intent, modules)


_phrases = st.lists(st.sampled_from(["AI", "ai", "Great question!", "great  question!", "  ", "synergy", "circle back",
                                     "Circle Back", "as an AI", "x"]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_phrases, _phrases)
def test_a_matcher_extended_with_module_bans_equals_one_built_from_all_phrases(spec_phrases, module_bans):
    from personas.banned_phrases import PhraseMatcher

    prepared: dict = {}
    spec_banned = list(dict.fromkeys(spec_phrases))
    merged = list(dict.fromkeys([*spec_banned, *module_bans]))  # as merge_banned_phrases does
    extended = PhraseMatcher.of(spec_banned, prepared).extended(merged[len(spec_banned):], prepared)
    assert extended == PhraseMatcher.of(merged)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40) | st.text(alphabet="abc XYZ,.-_'\n\t", max_size=40), max_size=6))
def test_tokenising_many_texts_at_once_equals_one_at_a_time(texts):
    from personas.prompt_text import query_tokens_of_many

    assert query_tokens_of_many(texts) == [query_tokens(text) for text in texts]


def test_never_say_paragraph_quotes_each_phrase():
    from personas.prompt_text import never_say_paragraph

    assert never_say_paragraph(["a", 'b "c"', ""]) == 'Never say: "a", "b "c"", ""'
    assert never_say_paragraph([]) == ""


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=20) | st.text(alphabet="aB c!\n\t-_'é", max_size=20), max_size=6))
def test_phrases_prepared_together_equal_phrases_prepared_alone(phrases):
    from personas.banned_phrases import PhraseMatcher, prepare_phrases

    together: dict = {}
    prepare_phrases(phrases, together)
    alone: dict = {}
    for phrase in phrases:
        PhraseMatcher.of([phrase], alone)
    assert together == alone
