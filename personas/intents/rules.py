"""High-precision intent rules, checked before the model.

A rule is here only when a message that matches it has one reading whatever else it says: a request
to forge a signature is a boundary even when it is phrased as advice, "tl;dr" asks for a summary,
"hi!" is small talk. Everything a phrase alone cannot decide is left to the model. Each rule must be
right on every training message it matches (tests/personas/test_intent_rules.py holds them to it).

Patterns are lowercase because messages are normalized (lowercased) before matching.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class IntentRule(NamedTuple):
    label: str
    patterns: tuple[str, ...]


# Verbs of things the twin would have to do in the world, not say. "Would you send…" is left out on
# purpose: it asks what the person would do, a stance.
_ACTION_VERB = r"(?:send|schedule|reschedule|book|email|forward|cancel|invite|post|set up|ping|pay|wire|share)"
_OBJECT = r"a|an|the|my|our|his|her|their|me|us|him|them|it|this|that|these|those"
_TRANSFORM_VERB = (
    r"(?:summari[sz]e|recap|rewrite|re-write|rephrase|reword|paraphrase|proofread|translate|shorten|"
    r"condense|simplify)"
)
_GREETING = r"(?:hi|hello|hey|heya|yo|sup|hiya|morning|good (?:morning|afternoon|evening|night|day))"
_THANKS_OR_BYE = r"(?:thanks|thank you|thx|cheers|bye|goodbye|see you|ttyl|talk soon|ok thanks|great thanks)"

# Precedence is the table order; the first rule with a matching pattern decides. Boundaries come first
# so a risky request never slips through because it is phrased as advice, a summary or an action.
INTENT_RULES: tuple[IntentRule, ...] = (
    IntentRule(
        "sensitive_boundary_or_refusal",
        (
            r"\b(?:self[- ]harm|suicid\w*|kill myself|hurt myself|end my life|want to die)\b",
            r"\b(?:don'?t|do not) want to (?:be alive|live|go on)\b|\bcan'?t go on\b",
            r"\b(?:passwords?|passcodes?|credentials|api keys?|secret keys?|private keys?)\b",
            r"\b(?:social security numbers?|ssn|credit card numbers?|bank account (?:numbers?|details))\b",
            r"\bhome (?:address|phone)\b",
            r"\bignore (?:all |your |the |any )?(?:previous |prior |above )?(?:instructions|rules)",
            r"\bjailbreak\w*\b|\byou are now dan\b|\bpretend you have no rules\b",
            r"\b(?:forge|forging|forged|backdate|backdating|launder\w*|phishing|insider trading)\b",
            r"\b(?:fake|falsify|fabricate|doctor) (?:a |an |the |some |our |my )?"
            r"(?:invoices?|bank statements?|receipts?|testimonials?|reviews?|signatures?|numbers|metrics|user numbers)\b",
            r"\b(?:medications?|dosages?|diagnos\w*|prescri\w*|antibiotics?|antidepressants?)\b",
            r"\b(?:legal|medical|tax) advice\b",
        ),
    ),
    IntentRule(
        "meta_or_system",
        (
            r"\bare you (?:an? )?(?:ai|bot|robot|chatbot|human|machine|real person|person|real)\b",
            r"\bsystem prompt\b",
            # Anchored at the end: "who are you hiring first?" is not about the twin.
            r"\b(?:who|what) are you(?: exactly| really)?\W*$",
            r"\bwho am i (?:talking|speaking|chatting) (?:to|with)\b",
            r"\bwho (?:made|built|created|trained|programmed) you\b",
            r"\b(?:which|what) (?:model|llm|language model)\b",
            r"\b(?:language model|chatgpt|gpt-?\d)\b",
            # Small talk: a greeting, thanks or goodbye that is the whole message (a name may follow),
            # or a greeting followed by pleasantries rather than a question about the business.
            rf"^\W*(?:{_GREETING}|{_THANKS_OR_BYE})(?:\W+(?:there|all|everyone|maya|so much|a lot|again))?\W*$",
            rf"^\W*{_GREETING}\b.*\b(?:hope you|how are you|how'?s it going|how was your|nice to meet|"
            r"long time|good to see|congrats|weekend)\b",
        ),
    ),
    IntentRule(
        "summarize_or_transform",
        (
            r"\btl;? ?dr\b",
            rf"^\W*(?:please\W+)?{_TRANSFORM_VERB}\b",
            rf"\b(?:can|could|would) you (?:please )?{_TRANSFORM_VERB}\b",
            r"\b(?:as|into) (?:\w+ )?bullet points\b",
            r"\bin plain (?:english|terms|words)\b",
        ),
    ),
    IntentRule(
        "action_or_tool_execution",
        (
            # Requests only: "should we send investors updates?" asks for a stance, so an imperative
            # must open the message and take an object.
            rf"^\W*(?:please\W+)?{_ACTION_VERB} (?:{_OBJECT})\b",
            rf"\b(?:can|could|will) you (?:please )?{_ACTION_VERB} (?:{_OBJECT})\b",
            rf"\bi(?: need| want| would like|'d like) you to {_ACTION_VERB}\b",
            r"\b(?:create|open|file|raise) an? (?:ticket|issue|task|bug report|calendar invite)\b",
            r"\bremind me (?:to|at|on|in|tomorrow|next)\b",
            r"\badd (?:it|this|that) to (?:my|the|our) (?:calendar|agenda)\b",
        ),
    ),
    IntentRule(
        "disagreement_or_conflict",
        (
            r"\bi (?:disagree|don't agree|dont agree|do not agree|beg to differ|strongly disagree)\b",
            r"\bhard disagree\b",
            r"\byou(?:'re| are) (?:wrong|mistaken|incorrect|contradicting yourself)\b",
            r"\bthat(?:'s| is) (?:simply |just )?(?:wrong|incorrect|nonsense|false)\b",
            r"\bi don'?t buy (?:it|that)\b",
            r"\bthat doesn'?t make sense\b",
        ),
    ),
    IntentRule(
        "advice_or_stance",
        (
            # Asking for the person's own call. "Should I/we …" is not a rule: "should I stop taking
            # my medication?" is a boundary, so the model weighs it.
            r"\bwhat would you do\b|\bif you were (?:me|us|in my shoes)\b",
        ),
    ),
    IntentRule(
        "ambiguity_or_clarify",
        (
            # Whole-message forms only: the same words inside a longer message carry a topic.
            r"^\W*(?:any )?(?:thoughts|ideas|input)\W*$",
            r"^\W*(?:what about (?:it|this|that|them)|and then|so what|what now|now what|so|and|huh|hmm+)\W*$",
            r"^\W*(?:what do you mean|can you clarify|can you elaborate|can you be more specific)\W*$",
            r"^\W*(?:and|what about|how about) (?:the )?(?:first|second|third|other|last|next) "
            r"(?:one|option|point|part)s?\W*$",
        ),
    ),
)

COMPILED_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (rule.label, re.compile("|".join(f"(?:{pattern})" for pattern in rule.patterns)))
    for rule in INTENT_RULES
)


def rule_label(normalized: str) -> str | None:
    """The label of the first matching rule for a normalized message, or None."""
    for label, pattern in COMPILED_RULES:
        if pattern.search(normalized):
            return label
    return None
