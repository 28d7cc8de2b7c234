"""What a case checks in a reply: plain functions of the case, the reply and its trace. No Django.

Every check is reported, passed or not, with a detail a reviewer can act on; a case passes when all
of its checks pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A case's structure, question and word count mean exactly what the persona compliance rules mean.
from personas.compliance import MIN_LIST_ITEMS, asks_a_question, list_items

# Spec examples need at least this compliance when the policy sets no minimum (docs/evaluation.md).
DEFAULT_MIN_COMPLIANCE = 0.7


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def word_count(text: str) -> int:
    return len(text.split())


def structure_of(text: str) -> str:
    """"numbered" or "bullets" with at least MIN_LIST_ITEMS such lines (numbered first), else "paragraph"."""
    bullets, numbered = list_items(text)
    if numbered >= MIN_LIST_ITEMS:
        return "numbered"
    if bullets >= MIN_LIST_ITEMS:
        return "bullets"
    return "paragraph"


def case_checks(*, expect: dict, expected_intent: str | None, intent_label: str | None, reply: str,
                banned_phrase_hits: list[str], compliance: dict | None,
                min_compliance: float | None = None) -> list[Check]:
    """The checks of one written case (`expect` as stored), or of a spec example when `min_compliance`
    is given (spec examples have no written expectations: routing, banned phrases and compliance)."""
    checks: list[Check] = []
    if expected_intent:
        checks.append(Check("intent", intent_label == expected_intent,
                            f"routed to {intent_label or 'no intent'}, expected {expected_intent}"))
    lowered = reply.casefold()
    if expect.get("must_include_any"):
        found = [phrase for phrase in expect["must_include_any"] if phrase.casefold() in lowered]
        checks.append(Check("must_include_any", bool(found),
                            f"found {found[0]!r}" if found else
                            "none of " + ", ".join(repr(p) for p in expect["must_include_any"]) + " in the reply"))
    if expect.get("must_not_include"):
        found = [phrase for phrase in expect["must_not_include"] if phrase.casefold() in lowered]
        checks.append(Check("must_not_include", not found,
                            "contains " + ", ".join(repr(p) for p in found) if found else "none present"))
    words = word_count(reply)
    if expect.get("min_words") is not None:
        checks.append(Check("min_words", words >= expect["min_words"], f"{words} words, at least {expect['min_words']}"))
    if expect.get("max_words") is not None:
        checks.append(Check("max_words", words <= expect["max_words"], f"{words} words, at most {expect['max_words']}"))
    if expect.get("structure"):
        shape = structure_of(reply)
        checks.append(Check("structure", shape == expect["structure"], f"{shape}, expected {expect['structure']}"))
    if expect.get("should_clarify") is not None:
        asked = asks_a_question(reply)
        wanted = expect["should_clarify"]
        checks.append(Check("should_clarify", asked == wanted,
                            ("asks" if asked else "does not ask") + " a clarifying question"
                            + (", as expected" if asked == wanted else ", expected the opposite")))
    checks.append(Check("banned_phrases", not banned_phrase_hits,
                        "says " + ", ".join(repr(p) for p in banned_phrase_hits) if banned_phrase_hits
                        else "no banned phrase"))
    if min_compliance is not None and compliance is not None:
        score = float(compliance.get("score", 1.0))
        rules = ", ".join(sorted({v["rule"] for v in compliance.get("violations", [])})) or "none"
        checks.append(Check("compliance", score >= min_compliance,
                            f"score {score:.2f}, at least {min_compliance:.2f} (violated: {rules})"))
    return checks
