"""Deterministic intent classification for chat messages.

The classifier picks which procedural modules and few-shots the compiler uses for a reply, and its
label is stored in every reply's trace. It therefore has to be explainable and stable: a fixed table
of word-boundary, case-insensitive regexes checked in precedence order, first match wins. No model,
no scoring, no state.

Plain Python with no Django import, so the chat runtime and its tests can use it without settings.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The taxonomy belongs to the persona spec schema (modules and examples are labelled with it), so it
# is defined once there, in DESIGN.md order; personas.spec is plain Python too (no Django).
from personas.spec import INTENT_LABELS

__all__ = ["DEFAULT_INTENT", "INTENT_LABELS", "INTENT_RULES", "IntentRule", "classify_intent"]

# A twin exists to answer the way its person would, so a message with no recognisable cue is most
# likely asking for that person's take. Routing it to advice_or_stance keeps the persona's stance
# values and decision policy in play instead of a generic clarifying question.
DEFAULT_INTENT = "advice_or_stance"


class IntentRule(NamedTuple):
    label: str
    patterns: tuple[str, ...]


# Verbs of things the twin would have to do in the world, not say. "Would you send…" is left out on
# purpose: it asks what the person would do, a stance.
_ACTION_VERB = r"(?:send|schedule|reschedule|book|email|forward|cancel|invite|post|set up)"
_ACTION_OBJECT = r"a|an|the|my|our|his|her|their|me|us|him|them|it|this|that|these|those"

# Precedence is the table order; the first rule with a matching pattern decides. Why this order:
# - boundaries first, so a risky request never slips through because it is phrased as advice;
# - questions about the twin itself, then requests to act or to transform text, which are explicit
#   about what they want whatever topic they mention;
# - pushback before everything topical, since "you're wrong about the numbers" is a disagreement;
# - vague messages before advice: "thoughts?" gets a question back, "your thoughts on pricing?" an
#   answer;
# - advice before factual, because a stance request ("how many engineers should we hire?") is more
#   specific than the evidence nouns ("data", "numbers") that factual questions share with it.
# Every pattern carries its own word boundaries and is written in lowercase: matching is
# case-insensitive because the message is lowercased first.
INTENT_RULES: tuple[IntentRule, ...] = (
    IntentRule(
        "sensitive_boundary_or_refusal",
        (
            r"\b(?:legal|illegal|lawyers?|attorneys?|lawsuits?|litigation|sue|suing)\b",
            r"\b(?:medical|medicine|medications?|diagnos\w*|symptoms?|prescri\w*|dosages?)\b",
            r"\bdoctors?\b",
            r"\b(?:tax|taxes|taxation|irs|hmrc)\b",
            r"\b(?:self[- ]harm|suicid\w*|kill myself|hurt myself|end my life|want to die)\b",
            r"\b(?:passwords?|passcodes?|credentials|api keys?|secret keys?|private keys?)\b",
            r"\b(?:social security numbers?|ssn|credit card numbers?|bank account numbers?)\b",
            r"\bignore (?:all |your |the |any )?(?:previous |prior |above )?(?:instructions|rules)",
            r"\bjailbreak\w*\b",
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
            r"\byour (?:instructions|prompt|configuration|training data)\b",
            r"\b(?:which|what) (?:model|llm|language model) (?:are you|is this|do you use)\b",
            r"\b(?:digital twin|language model|chatgpt|gpt-?\d)\b",
        ),
    ),
    IntentRule(
        "action_or_tool_execution",
        (
            # Requests only. "Should we send investors updates?" asks for a stance and "remind me
            # what our runway was" for a fact, so a bare verb anywhere in the message is not enough:
            # an imperative must open the message and take an object.
            rf"^\W*(?:please\W+)?{_ACTION_VERB} (?:{_ACTION_OBJECT})\b",
            rf"\b(?:can|could|will) you (?:please )?{_ACTION_VERB}\b",
            rf"\bi(?: need| want| would like|'d like) you to {_ACTION_VERB}\b",
            r"\b(?:create|open|file|raise) an? (?:ticket|issue|task|bug report|calendar invite)\b",
            r"\bremind me (?:to|at|on|in|tomorrow|next)\b",
            r"\badd (?:it|this|that) to (?:my|the|our) (?:calendar|agenda)\b",
        ),
    ),
    IntentRule(
        "summarize_or_transform",
        (
            r"\b(?:summari[sz]e|summary|tl;?dr|recap)\b",
            r"\b(?:rewrite|re-write|rephrase|paraphrase|reword|proofread|shorten|condense)\b",
            r"\btranslate\b",
            r"\bturn (?:this|it|that) into\b",
            r"\bconvert (?:this|it|that) (?:into|to)\b",
            r"\bmake (?:this|it|that) (?:shorter|clearer|simpler|more \w+)\b",
            r"\b(?:as|into) bullet points\b",
            r"\bin (?:plain|simple) (?:english|terms|words)\b",
        ),
    ),
    IntentRule(
        "disagreement_or_conflict",
        (
            r"\bi (?:disagree|don't agree|dont agree|do not agree|beg to differ)\b",
            r"\byou(?:'re| are) (?:wrong|mistaken|incorrect)\b",
            r"\bthat(?:'s| is) not (?:right|true|correct|what)\b",
            r"\bthat(?:'s| is) (?:wrong|incorrect|nonsense|false)\b",
            r"\bthat(?:'s| is)(?: just)? a bad (?:idea|take|call)\b",
            r"\bnot convinced\b",
            r"\bi don'?t (?:buy it|buy that|think so)\b",
            r"\bthat doesn'?t make sense\b",
            r"\bpush(?:ing)? back\b",
        ),
    ),
    IntentRule(
        "ambiguity_or_clarify",
        (
            # Whole-message forms only: the same words inside a longer message carry a topic.
            r"^\W*(?:any )?(?:thoughts|ideas|advice|input|opinions?)\W*$",
            r"^\W*(?:what about (?:it|this|that|them)|and then|so what|what now|now what)\W*$",
            r"^\W*(?:what do you mean|can you clarify|not sure what you mean)\W*$",
            # At most two words: too little to act on, and every more specific label came first.
            r"^\W*\w+(?:\W+\w+)?\W*$",
        ),
    ),
    IntentRule(
        "advice_or_stance",
        (
            r"\bshould (?:i|we|they|you|he|she|it|my|our|the)\b",
            r"\bwhat should\b",
            r"\bwould you\b",
            r"\b(?:what )?do you think\b",
            r"\b(?:recommend|recommendations?|advise|suggest)\b",
            r"\byour (?:view|opinion|take|stance|position|thoughts) (?:on|about)\b",
            r"\bis it (?:worth|better|wise|smart)\b",
            r"\b(?:pros and cons|best way to|better to)\b",
        ),
    ),
    IntentRule(
        "factual_with_evidence",
        (
            r"\bwhat (?:was|were|is|are) (?:the|our|your|their|its|my)\b",
            r"\bhow many\b",
            r"\bhow much (?:did|was|were|is|are|does|do|has|have)\b",
            r"\bwhen (?:did|was|were|is|will)\b",
            r"\b(?:data|numbers|figures|statistics|stats|metrics|evidence)\b",
            r"\b(?:sources?|citations?|cite|references?)\b",
            r"\b(?:revenue|runway|churn|burn rate|arr|mrr|headcount)\b",
        ),
    ),
)

# The message is lowercased once instead of compiling with re.IGNORECASE: case-insensitive regexes
# lose the engine's literal-prefix optimisations and made classification about five times slower.
_COMPILED_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (rule.label, re.compile("|".join(f"(?:{pattern})" for pattern in rule.patterns)))
    for rule in INTENT_RULES
)

# Typographic apostrophes would otherwise defeat every "don't"/"you're" pattern.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

# The ask in a long message sits at its start or its end ("Summarize this: <paste>", "<paste> Is
# this right?"), so only those are classified. Scanning costs about half a microsecond per
# character; the window keeps a 50 KB paste as cheap as a long paragraph.
HEAD_CHARS = 600
TAIL_CHARS = 400


def classify_intent(message: str) -> str:
    """Return the intent label of a chat message; DEFAULT_INTENT when no rule matches."""
    text = message.strip()
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = f"{text[:HEAD_CHARS]}\n\n{text[-TAIL_CHARS:]}"
    text = text.translate(_APOSTROPHES).lower()
    if not text:
        return DEFAULT_INTENT
    for label, pattern in _COMPILED_RULES:
        if pattern.search(text):
            return label
    return DEFAULT_INTENT
