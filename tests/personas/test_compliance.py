"""Persona compliance of a reply: every rule fires and stays quiet where it should, the score formula,
determinism, and the max fixture (plain Python, no Django, no database)."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from personas.banned_phrases import PhraseMatcher, find_banned_phrases, words_of
from personas.compiler import precompile
from personas.compliance import (
    RULE_WEIGHTS,
    Compliance,
    Violation,
    asks_a_question,
    check_compliance,
    list_items,
)
from personas.spec import INTENT_LABELS

FIXTURES = Path(__file__).resolve().parents[2] / "personas" / "fixtures"
EXAMPLE = json.loads((FIXTURES / "persona_spec_example.json").read_text(encoding="utf-8"))
MAX = json.loads((FIXTURES / "persona_spec_max.json").read_text(encoding="utf-8"))
COMPILED_EXAMPLE = precompile(EXAMPLE)
COMPILED_MAX = precompile(MAX)
ADVICE = "advice_or_stance"
CLARIFY = "ambiguity_or_clarify"
CLEAN = "No. Charge for the pilot, with a success metric and a conversion date."


def spec(**fields) -> dict:
    """A spec that enables no rule but `length` (its defaults), plus `fields`."""
    return {"interaction_style": {"tone": "warm"}, **fields}


def check(raw_or_compiled, reply: str, intent: str | None = ADVICE, message: str = "Should we?") -> Compliance:
    compiled = raw_or_compiled if not isinstance(raw_or_compiled, dict) else precompile(raw_or_compiled)
    return check_compliance(compiled, intent, reply, message)


def rules(result: Compliance) -> list[str]:
    return [violation.rule for violation in result.violations]


def words(count: int, word: str = "plan") -> str:
    return " ".join([word] * count)


# --------------------------------------------------------------------------------------------
# banned_phrase
# --------------------------------------------------------------------------------------------


def test_banned_phrases_of_the_spec_are_found_whatever_the_case_and_spacing():
    result = check(COMPILED_EXAMPLE, "great   QUESTION!! Charge for it.")

    assert result.violations[0] == Violation("banned_phrase", 'says "Great question!"')
    assert check(COMPILED_EXAMPLE, CLEAN).violations == ()


def test_a_module_ban_applies_only_to_the_intents_that_select_the_module():
    reply = "I might be wrong but charge for the pilot."

    assert rules(check(COMPILED_EXAMPLE, reply, ADVICE)) == ["banned_phrase"]
    assert "banned_phrase" not in rules(check(COMPILED_EXAMPLE, reply, "factual_with_evidence"))


def test_banned_phrases_match_whole_words_only():
    compiled = precompile(spec(deterministic_rules={"banned_phrases": ["AI", "synergy"]}))

    assert rules(check(compiled, "She said the plan is fine; synergyless.")) == []
    assert check(compiled, "As an AI, I think synergy matters.").violations == (
        Violation("banned_phrase", 'says "AI", "synergy"'),
    )


def test_the_rule_checks_the_list_the_compiler_puts_in_the_prompt_for_the_intent():
    for compiled in (COMPILED_EXAMPLE, COMPILED_MAX):
        for intent in (None, *INTENT_LABELS, "not_a_label"):
            prompted = compiled.render_for_request(intent, "Should we raise?").banned_phrases
            checked = [entry.phrase for entry in compiled.compliance.rules_for(intent).banned.phrases]
            assert checked == list(dict.fromkeys(prompted))


def test_the_trace_and_the_rule_share_one_definition_of_a_hit():
    matcher = PhraseMatcher.of(EXAMPLE["deterministic_rules"]["banned_phrases"])
    reply = "Great question! As an AI language model, I decline."

    assert matcher.find(reply, set(words_of(reply.casefold()))) == find_banned_phrases(
        reply, EXAMPLE["deterministic_rules"]["banned_phrases"]
    )


_TEXT = st.text(alphabet=st.sampled_from(list("ab _-!.?\n\tAÉé’ß")), max_size=30)


@settings(max_examples=300, deadline=None)
@given(reply=_TEXT, phrases=st.lists(_TEXT, max_size=4))
def test_the_prepared_matcher_finds_exactly_what_the_plain_function_finds(reply, phrases):
    reference = []
    haystack = " ".join(reply.split()).casefold()
    for phrase in dict.fromkeys(" ".join(phrase.split()).casefold() for phrase in phrases):
        if phrase:
            start = r"(?<!\w)" if re.match(r"\w", phrase[0]) else ""
            end = r"(?!\w)" if re.match(r"\w", phrase[-1]) else ""
            if re.search(start + re.escape(phrase) + end, haystack):
                reference.append(phrase)

    found = find_banned_phrases(reply, phrases)

    assert [" ".join(hit.split()).casefold() for hit in found] == reference
    assert PhraseMatcher.of(phrases).find(reply, set(words_of(reply.casefold()))) == found


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_words_of_is_the_word_runs_of_the_text(text):
    assert words_of(text.casefold()) == re.findall(r"\w+", text.casefold())


# --------------------------------------------------------------------------------------------
# length
# --------------------------------------------------------------------------------------------


def test_length_defaults_to_one_to_four_hundred_words():
    compiled = precompile(spec())

    assert check(compiled, words(400)).violations == ()
    assert check(compiled, words(401)).violations == (
        Violation("length", "401 words; at most 400 expected (default for advice_or_stance)"),
    )
    assert check(compiled, "  ").violations == (Violation("length", "0 words; at least 1 expected (default)"),)
    assert check(compiled, words(600), "summarize_or_transform").violations == ()


def test_brevity_default_sets_the_maximum():
    concise = precompile(spec(interaction_style={"brevity_default": "concise"}))
    detailed = precompile(spec(interaction_style={"brevity_default": "Detailed"}))

    assert rules(check(concise, words(180))) == []
    assert check(concise, words(181)).violations[0].detail == (
        "181 words; at most 180 expected (interaction_style.brevity_default 'concise')"
    )
    assert rules(check(detailed, words(700))) == [] and rules(check(detailed, words(701))) == ["length"]


def test_deterministic_rules_bounds_win_over_brevity_and_length_by_intent_over_both():
    compiled = precompile(spec(
        interaction_style={"brevity_default": "concise"},
        deterministic_rules={
            "min_words": 5, "max_words": 50,
            "length_by_intent": {"summarize_or_transform": {"max_words": 300}, ADVICE: {"min_words": 10}},
        },
    ))

    assert check(compiled, words(4), "factual_with_evidence").violations[0].detail == (
        "4 words; at least 5 expected (deterministic_rules.min_words)"
    )
    assert rules(check(compiled, words(51), "factual_with_evidence")) == ["length"]
    assert rules(check(compiled, words(300), "summarize_or_transform")) == []
    assert check(compiled, words(9), ADVICE).violations[0].detail == (
        f"9 words; at least 10 expected (deterministic_rules.length_by_intent.{ADVICE}.min_words)"
    )
    assert rules(check(compiled, words(51), ADVICE)) == ["length"]  # the maximum still comes from max_words


def test_bounds_that_are_not_counts_are_ignored():
    compiled = precompile(spec(deterministic_rules={"max_words": True, "min_words": -3},
                               interaction_style={"brevity_default": "whatever"}))

    assert rules(check(compiled, words(400))) == [] and rules(check(compiled, words(401))) == ["length"]
    assert rules(check(compiled, "")) == ["length"]


# --------------------------------------------------------------------------------------------
# structure
# --------------------------------------------------------------------------------------------

BULLETED = "Three things:\n- price it\n  * charge from day one\n• measure conversion"
NUMBERED_LIST = "Steps:\n1. price it\n2) charge from day one\n10. measure"


def test_list_lines_are_counted_by_their_marker():
    assert list_items(BULLETED) == (3, 0)
    assert list_items(NUMBERED_LIST) == (0, 3)
    assert list_items("-not a bullet\n1.5 is a number\n2024. A year\n*emphasis*\n12. item") == (0, 1)


def test_structure_by_intent_requires_that_structure_for_that_intent_only():
    compiled = precompile(spec(deterministic_rules={"structure_by_intent": {
        "summarize_or_transform": "bullets", "action_or_tool_execution": "numbered", ADVICE: "paragraph",
    }}))
    summarize = "summarize_or_transform"

    assert rules(check(compiled, BULLETED, summarize)) == []
    assert check(compiled, "One paragraph of prose.", summarize).violations == (Violation(
        "structure",
        "expected a bulleted list, found 0 bullet lines (deterministic_rules.structure_by_intent.summarize_or_transform)",
    ),)
    assert rules(check(compiled, NUMBERED_LIST, "action_or_tool_execution")) == []
    assert rules(check(compiled, BULLETED, "action_or_tool_execution")) == ["structure"]
    assert rules(check(compiled, BULLETED, ADVICE)) == ["structure"]
    assert rules(check(compiled, "Charge for it.\n\nThen measure.", ADVICE)) == []
    assert "structure" not in check(compiled, BULLETED, "factual_with_evidence").rules_checked


def test_structure_comes_from_a_selected_module_then_the_interaction_style():
    compiled = precompile(spec(
        interaction_style={"structure_default": "paragraph"},
        procedural_modules=[{"id": "m.steps", "intent_labels": ["action_or_tool_execution"],
                             "say_style": {"structure": "numbered"}}],
    ))

    assert rules(check(compiled, NUMBERED_LIST, "action_or_tool_execution")) == []
    assert rules(check(compiled, NUMBERED_LIST, ADVICE)) == ["structure"]


def test_a_structure_the_rule_does_not_know_is_not_checked():
    assert "structure" not in check(COMPILED_EXAMPLE, BULLETED).rules_checked  # "answer_then_reasoning"


# --------------------------------------------------------------------------------------------
# clarify
# --------------------------------------------------------------------------------------------


def test_an_ambiguous_request_needs_a_question_when_the_policy_says_to_clarify():
    assert check(COMPILED_EXAMPLE, "Start with the constraint.", CLARIFY).violations == (Violation(
        "clarify",
        "the request looks ambiguous and the spec asks to clarify (decision_policy.clarify_when_ambiguous), "
        "but the reply asks no question",
    ),)
    assert rules(check(COMPILED_EXAMPLE, "Which decision are you facing? Start there.", CLARIFY)) == []
    assert "clarify" not in check(COMPILED_EXAMPLE, "Start with the constraint.", ADVICE).rules_checked


def test_a_module_that_asks_a_clarifying_question_also_makes_the_rule_apply():
    raw = copy.deepcopy(EXAMPLE)
    del raw["decision_policy"]["clarify_when_ambiguous"]
    compiled = precompile(raw)

    result = check(compiled, "Start with the constraint.", CLARIFY)

    assert result.violations[0].detail.startswith(
        "the request looks ambiguous and the spec asks to clarify "
        "(module procedural.decision.clarify_before_advice does 'ask_one_clarifying_question')"
    )
    assert "clarify" not in check(precompile(spec()), "Fine.", CLARIFY).rules_checked


def test_what_counts_as_a_question():
    assert asks_a_question("What decision are you facing?")
    assert asks_a_question("Tell me more. Is it pricing or hiring?\nThen I'll answer.")
    assert not asks_a_question("See https://example.com/?q=1 for details.")
    assert not asks_a_question("?? ... ?")
    assert not asks_a_question("No question here.")


# --------------------------------------------------------------------------------------------
# hedging
# --------------------------------------------------------------------------------------------


def test_a_decisive_voice_allows_two_hedges_per_hundred_words_and_always_one():
    # identity_voice.persona_profile of the example says "Direct, warm operator-investor".
    assert rules(check(COMPILED_EXAMPLE, "Maybe charge for the pilot.")) == []
    assert check(COMPILED_EXAMPLE, "I think maybe charge for it, perhaps. It depends.").violations == (Violation(
        "hedging",
        "4 hedges in 9 words (maybe, perhaps, it depends, i think); more than 2 per 100 words (one is always "
        "allowed) for a decisive voice (identity_voice.persona_profile)",
    ),)
    assert rules(check(COMPILED_EXAMPLE, "Maybe charge. " + words(98) + " Perhaps.")) == []  # 2 in 100 words
    assert rules(check(COMPILED_EXAMPLE, "Maybe, maybe, maybe. " + words(97))) == ["hedging"]


def test_hedges_are_whole_words_and_phrases():
    assert rules(check(COMPILED_EXAMPLE, "Mighty thinking: I thinker, it depends… it depends!")) == ["hedging"]
    assert rules(check(COMPILED_EXAMPLE, "Mighty thinking: I thinker, maybe-ish, it depended.")) == []


def test_hedging_is_checked_only_for_a_decisive_voice_or_an_explicit_limit():
    indirect = precompile(spec(identity_voice={"persona_profile": "Indirect and gentle, prefers directions."}))
    decisive_key = precompile(spec(interaction_style={"decisive": True}))
    explicit = precompile(spec(deterministic_rules={"max_hedges_per_100_words": 10}))
    hedgy = "Maybe, perhaps, possibly: it depends."

    assert "hedging" not in check(indirect, hedgy).rules_checked
    assert check(decisive_key, hedgy).violations[0].detail.endswith("for a decisive voice (interaction_style.decisive)")
    assert rules(check(explicit, hedgy + " " + words(36))) == []  # 4 in 40 words is 10 per 100
    assert rules(check(explicit, hedgy + " " + words(34))) == ["hedging"]


def test_a_modules_direct_say_style_makes_hedging_count_for_its_intents():
    raw = copy.deepcopy(EXAMPLE)
    raw["identity_voice"]["persona_profile"] = "Warm operator-investor."
    compiled = precompile(raw)
    hedgy = "Maybe, perhaps, possibly: it depends."

    assert check(compiled, hedgy, ADVICE).violations[0].detail.endswith(
        "(module procedural.decision.clarify_before_advice say_style.tone)"
    )
    assert "hedging" not in check(compiled, hedgy, "factual_with_evidence").rules_checked


# --------------------------------------------------------------------------------------------
# anti_example_copy
# --------------------------------------------------------------------------------------------

ANTI = EXAMPLE["anti_examples"][0]["response"]  # 8 content words


def test_a_reply_copying_an_anti_example_is_a_violation():
    assert check(COMPILED_EXAMPLE, ANTI).violations[-1] == Violation(
        "anti_example_copy", "copies anti-example anti.generic: 8 of its 8 content words (100%)"
    )
    # 5 of 8 (63%) is a copy; 4 of 8 is not.
    assert rules(check(COMPILED_EXAMPLE, "Many factors, every startup: consider them.")) == ["anti_example_copy"]
    assert rules(check(COMPILED_EXAMPLE, "Many factors, every startup.")) == []


def test_words_the_user_wrote_do_not_count_as_copied():
    reply = "Many factors, every startup: consider them."

    assert rules(check(COMPILED_EXAMPLE, reply, message="Which factors should every startup consider?")) == []


def test_short_anti_examples_are_not_compared():
    short = precompile(spec(anti_examples=[{"intent_label": ADVICE, "prompt": "Raise?", "response": "Great question!"}]))

    assert "anti_example_copy" not in check(short, "Great question!").rules_checked


def test_the_anti_example_copied_most_is_named_first():
    raw = spec(anti_examples=[
        {"intent_label": ADVICE, "prompt": "a", "response": "alpha bravo charlie delta echo foxtrot"},
        {"id": "second", "intent_label": ADVICE, "prompt": "b", "response": "alpha bravo charlie delta echo golf hotel"},
    ])

    result = check(raw, "alpha bravo charlie delta echo golf hotel")

    assert result.violations == (Violation(
        "anti_example_copy", "copies anti-example second: 7 of its 7 content words (100%) (and 1 more)"
    ),)


# --------------------------------------------------------------------------------------------
# The score
# --------------------------------------------------------------------------------------------


def test_the_score_is_one_minus_the_violated_share_of_the_applicable_weight():
    result = check(COMPILED_EXAMPLE, "Great question! " + words(200))

    assert result.rules_checked == ("banned_phrase", "length", "hedging", "anti_example_copy")
    assert rules(result) == ["banned_phrase", "length"]
    applicable = sum(RULE_WEIGHTS[rule] for rule in result.rules_checked)
    assert result.score == 1 - (3 + 1) / applicable == 0.5
    assert result.as_dict() == {
        "score": 0.5,
        "violations": [
            {"rule": "banned_phrase", "detail": 'says "Great question!"'},
            {"rule": "length", "detail": "202 words; at most 180 expected (interaction_style.brevity_default 'concise')"},
        ],
        "rules_checked": ["banned_phrase", "length", "hedging", "anti_example_copy"],
    }


def test_the_stored_score_is_rounded_to_three_places():
    assert check(spec(), words(401)).as_dict()["score"] == 0.0
    clarify = check(COMPILED_EXAMPLE, "Start with the constraint.", CLARIFY)  # weights 3+1+2+1+3, clarify 2
    assert clarify.as_dict()["score"] == round(1 - 2 / 10, 3) == 0.8
    compiled = precompile(spec(deterministic_rules={"structure_by_intent": {ADVICE: "bullets"}}))
    assert check(compiled, "Prose.").as_dict()["score"] == 0.5
    assert Compliance(2 / 3, ()).as_dict()["score"] == 0.667


def test_a_reply_with_no_applicable_rule_scores_one():
    unchecked = dataclasses.replace(COMPILED_EXAMPLE, compliance=None)

    assert check(unchecked, "Great question!") == Compliance(1.0, ())


def test_a_clean_reply_to_the_example_scores_one():
    for intent in (None, *INTENT_LABELS):
        result = check(COMPILED_EXAMPLE, "Which constraint matters most? " + CLEAN, intent)
        assert (result.score, result.violations) == (1.0, ()), intent


def test_the_check_is_deterministic_and_ignores_the_spec_s_key_order():
    shuffled = json.loads(json.dumps(EXAMPLE, sort_keys=True))
    shuffled["identity_voice"] = dict(reversed(list(shuffled["identity_voice"].items())))
    reply = "Great question! I think maybe it depends. " + ANTI

    assert check(EXAMPLE, reply) == check(shuffled, reply) == check(COMPILED_EXAMPLE, reply)
    assert len(check(EXAMPLE, reply).violations) == 3
    restored = pickle.loads(pickle.dumps(COMPILED_EXAMPLE))
    assert check(restored, reply) == check(COMPILED_EXAMPLE, reply)


def test_an_unknown_intent_gets_the_rules_of_no_intent():
    reply = "I might be wrong but " + words(300)

    assert check(COMPILED_EXAMPLE, reply, "not_a_label") == check(COMPILED_EXAMPLE, reply, None)


# --------------------------------------------------------------------------------------------
# The max fixture
# --------------------------------------------------------------------------------------------


def test_a_200_word_reply_on_the_max_fixture():
    body = words(195, "value") + " maybe the language model rule"
    with_bans = "Banned 3 applies. Phrase 0 too. " + words(194, "value")
    assert len(body.split()) == len(with_bans.split()) == 200

    for intent in (None, *INTENT_LABELS):
        result = check(COMPILED_MAX, body, intent)
        assert 0 <= result.score <= 1
        assert "banned_phrase" in result.rules_checked and "length" in result.rules_checked
        # concise: at most 180 words
        assert "length" in rules(result)

    factual = check(COMPILED_MAX, with_bans, "factual_with_evidence")  # procedural.m0 bans "phrase 0" there
    assert factual.violations[0] == Violation("banned_phrase", 'says "banned 3", "phrase 0"')
    assert check(COMPILED_MAX, with_bans, None).violations[0] == Violation("banned_phrase", 'says "banned 3"')


@settings(max_examples=200, deadline=None)
@given(
    reply=st.text(max_size=400),
    message=st.text(max_size=80),
    intent=st.sampled_from([None, *INTENT_LABELS, "unknown"]),
    compiled=st.sampled_from([COMPILED_EXAMPLE, COMPILED_MAX]),
)
def test_the_score_is_always_between_zero_and_one(reply, message, intent, compiled):
    result = check_compliance(compiled, intent, reply, message)

    assert 0.0 <= result.score <= 1.0
    assert {violation.rule for violation in result.violations} <= set(result.rules_checked)
    assert result == check_compliance(compiled, intent, reply, message)


@settings(max_examples=100, deadline=None)
@given(
    parts=st.lists(st.sampled_from([
        "Great question!", "maybe", "I think", "perhaps", "Which one?", "- item", "1. step", "\n",
        "many factors", "every startup", "unique", "consider", "charge", "pilot", "As an AI language model",
    ]), max_size=60),
    intent=st.sampled_from([None, *INTENT_LABELS]),
)
def test_the_score_stays_in_range_for_replies_that_break_rules(parts, intent):
    result = check_compliance(COMPILED_EXAMPLE, intent, " ".join(parts), "Should we raise?")

    assert 0.0 <= result.score <= 1.0
    expected = 1 - sum(RULE_WEIGHTS[v.rule] for v in result.violations) / sum(
        RULE_WEIGHTS[rule] for rule in result.rules_checked
    )
    assert result.score == expected
