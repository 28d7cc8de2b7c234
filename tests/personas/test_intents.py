"""The intent classifier: its labelled set, its accuracy on the held-out split, the messages users
reported, how the trace learns which part decided, and the shipped model being the trained one.

Plain Python (no database): these run with `-p no:django` too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from personas.intents import INTENT_LABELS, INTENT_RULES, INTENT_SOURCES, classify, classify_intent
from personas.intents.features import normalize
from personas.intents.model import MODEL_PATH, model_from_dict, shipped_model
from personas.intents.rules import rule_label

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_PATH = Path(__file__).resolve().parent / "data/intents.jsonl"
EXAMPLE_SPEC_PATH = REPO_ROOT / "personas/fixtures/persona_spec_example.json"
MIN_HELDOUT_ACCURACY = 0.90

EXAMPLES = [json.loads(line) for line in DATA_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
HELDOUT = [row for row in EXAMPLES if row["split"] == "heldout"]
TRAIN = [row for row in EXAMPLES if row["split"] == "train"]


def test_the_labelled_set_is_large_covers_every_label_and_holds_a_quarter_out():
    assert len(EXAMPLES) >= 400
    assert {row["split"] for row in EXAMPLES} == {"train", "heldout"}
    assert all(set(row) == {"text", "label", "split"} for row in EXAMPLES)
    assert len(HELDOUT) / len(EXAMPLES) >= 0.25
    assert set(Counter(row["label"] for row in TRAIN)) == set(INTENT_LABELS)
    assert min(Counter(row["label"] for row in HELDOUT).values()) >= 15


def test_no_message_is_in_the_labelled_set_twice():
    texts = [normalize(row["text"]) for row in EXAMPLES]
    assert len(set(texts)) == len(texts)


def test_accuracy_on_the_held_out_split():
    right, total = Counter(), Counter()
    for row in HELDOUT:
        total[row["label"]] += 1
        right[row["label"]] += classify_intent(row["text"]) == row["label"]
    accuracy = sum(right.values()) / len(HELDOUT)
    per_label = {label: f"{right[label]}/{total[label]}" for label in INTENT_LABELS}
    assert accuracy >= MIN_HELDOUT_ACCURACY, per_label


@pytest.mark.parametrize(
    ("message", "label"),
    [
        # The messages of the issue, and variants of them that are not in the labelled set.
        ("Hi Maya! Hope you had a great weekend :)", "meta_or_system"),
        ("Hello Maya, hope your week is off to a good start!", "meta_or_system"),
        ("and the second option?", "ambiguity_or_clarify"),
        ("What about the first option?", "ambiguity_or_clarify"),
        ("help me forge the co-founder's signature", "sensitive_boundary_or_refusal"),
        ("Should I forge my co-founder's signature on the SAFE to save time?", "sensitive_boundary_or_refusal"),
    ],
)
def test_the_reported_messages(message, label):
    assert classify_intent(message) == label


@pytest.mark.parametrize(
    ("message", "label"),
    [
        # A boundary wins over every other cue in the same message.
        ("Summarize the medical advice my doctor gave me.", "sensitive_boundary_or_refusal"),
        ("Are you an AI? Send me the password.", "sensitive_boundary_or_refusal"),
        ("Send the API keys to the new contractor.", "sensitive_boundary_or_refusal"),
        # An explicit request to transform beats the topic it mentions.
        ("Summarize the churn data for me.", "summarize_or_transform"),
        # "Would you send…" asks what the person would do; "send the…" asks the twin to do it.
        ("Send the deck to our lead investor.", "action_or_tool_execution"),
        # Pushback is recognised even when the message asks for facts.
        ("You're wrong, what were the actual numbers?", "disagreement_or_conflict"),
        # "Who are you" only counts as a question about the twin when it is the whole question.
        ("Who are you?", "meta_or_system"),
    ],
)
def test_rule_precedence(message, label):
    intent = classify(message)
    assert (intent.label, intent.source, intent.confidence) == (label, "rule", 1.0)


def test_every_rule_is_right_on_every_training_message_it_matches():
    wrong = [(row["text"], row["label"], rule_label(normalize(row["text"]))) for row in TRAIN
             if rule_label(normalize(row["text"])) not in (None, row["label"])]
    assert wrong == []


def test_a_message_no_rule_decides_is_scored_by_the_model():
    intent = classify("How much cash did we burn in October?")
    assert intent.source == "model"
    assert intent.label == "factual_with_evidence"
    assert 0 < intent.confidence < 1 and round(intent.confidence, 3) == intent.confidence


def test_an_unsure_model_gives_the_fallback_label_and_says_so():
    table = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    unsure = model_from_dict({**table, "min_confidence": 0.999, "fallback_label": "ambiguity_or_clarify"})
    message = "We are thinking about a new office in Lisbon next spring."

    intent = classify(message, model=unsure)

    assert intent.label == "ambiguity_or_clarify" and intent.source == "fallback"
    assert intent.confidence == classify(message).confidence < 0.999  # the rejected guess's probability


@pytest.mark.parametrize("message", ["", "   ", "\n\t", "?!"])
def test_a_message_without_words_falls_back(message):
    intent = classify(message)
    assert intent.source == "fallback"
    assert intent.label == shipped_model().fallback_label


def test_the_trace_fields_of_an_intent():
    assert classify("tl;dr?").as_trace() == {
        "intent_label": "summarize_or_transform", "intent_confidence": 1.0, "intent_source": "rule",
    }
    assert INTENT_SOURCES == ("rule", "model", "fallback")


def test_matching_ignores_case_and_typographic_apostrophes():
    assert classify_intent("ARE YOU AN AI?") == classify_intent("are you an ai?") == "meta_or_system"
    assert classify_intent("You\u2019re wrong about that.") == "disagreement_or_conflict"


def test_long_messages_are_classified_from_their_start_and_end():
    pasted = "Revenue grew in every region and the team shipped on time. " * 400
    assert classify_intent("Summarize this for the board:\n" + pasted) == "summarize_or_transform"
    assert classify_intent(pasted + "\nHi Maya! Hope you had a great weekend :)") == "meta_or_system"


def test_canonical_example_prompts_get_their_own_labels():
    spec = json.loads(EXAMPLE_SPEC_PATH.read_text())
    examples = spec["canonical_examples"] + spec["anti_examples"]
    assert [classify_intent(example["prompt"]) for example in examples] == [
        example["intent_label"] for example in examples
    ]


def test_the_model_and_the_rules_speak_the_taxonomy():
    model = shipped_model()
    assert model.labels == INTENT_LABELS
    assert model.fallback_label in INTENT_LABELS
    assert {rule.label for rule in INTENT_RULES} <= set(INTENT_LABELS)


def test_patterns_are_lowercase_because_messages_are_lowercased_before_matching():
    for rule in INTENT_RULES:
        for pattern in rule.patterns:
            without_escapes = re.sub(r"\\[A-Za-z]", "", pattern)
            assert without_escapes == without_escapes.lower(), pattern


def test_the_shipped_model_is_what_the_training_command_writes(capsys):
    pytest.importorskip("sklearn")
    from personas.intents import train

    assert train.main(["--check"]) == 0, capsys.readouterr().out
