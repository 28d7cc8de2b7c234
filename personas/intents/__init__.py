"""Intent classification for chat messages: high-precision rules first, then a small linear model.

The label picks the procedural modules and few-shots the compiler uses for a reply, and every reply's
trace records it with how it was decided:

- `rule`: a phrase in `rules.INTENT_RULES` decides it (confidence 1.0);
- `model`: the linear model in `intent_model.json` is at least `min_confidence` sure (its
  probability is the confidence);
- `fallback`: neither is; the label is the model's fallback label and the confidence the model's
  probability for its own (rejected) best guess, so the trace shows how unsure it was.

Measured on the held-out split of tests/personas/data/intents.jsonl (docs/intents.md, `make bench`).
Plain Python with no Django import, so the chat runtime and its tests can use it without settings.
"""

from __future__ import annotations

from typing import NamedTuple

# The taxonomy belongs to the persona spec schema (modules and examples are labelled with it), so it
# is defined once there, in DESIGN.md order; personas.spec is plain Python too (no Django).
from personas.spec import INTENT_LABELS

from .features import has_words, normalize
from .model import IntentModel, shipped_model
from .rules import INTENT_RULES, IntentRule, rule_label

__all__ = [
    "INTENT_LABELS", "INTENT_RULES", "INTENT_SOURCES", "Intent", "IntentRule", "classify", "classify_intent",
]

SOURCE_RULE = "rule"
SOURCE_MODEL = "model"
SOURCE_FALLBACK = "fallback"
INTENT_SOURCES = (SOURCE_RULE, SOURCE_MODEL, SOURCE_FALLBACK)


class Intent(NamedTuple):
    label: str
    confidence: float  # 0..1, rounded to 3 decimals
    source: str  # one of INTENT_SOURCES

    def as_trace(self) -> dict:
        return {"intent_label": self.label, "intent_confidence": self.confidence, "intent_source": self.source}


def classify(message: str, model: IntentModel | None = None) -> Intent:
    """The intent of a chat message, with how sure the classifier is and which part decided.

    `model` defaults to the shipped one (tests pass their own)."""
    normalized = normalize(message)
    model = model or shipped_model()
    if not has_words(normalized):  # nothing to classify: "", "?!"
        return Intent(model.fallback_label, 0.0, SOURCE_FALLBACK)
    ruled = rule_label(normalized)
    if ruled is not None:
        return Intent(ruled, 1.0, SOURCE_RULE)
    label, confidence = model.predict(normalized)
    if confidence >= model.min_confidence:
        return Intent(label, round(confidence, 3), SOURCE_MODEL)
    return Intent(model.fallback_label, round(confidence, 3), SOURCE_FALLBACK)


def classify_intent(message: str) -> str:
    """The intent label alone (see `classify`)."""
    return classify(message).label
