"""Deterministic provider: replies in the persona's voice without calling a model.

It is the default provider, so a fresh checkout, the test suite and demos work with no network and
no key, and its replies are stable enough to assert on. It answers in one of two ways:

1. With a spec, the canonical example that best fits the message: only examples labelled with the
   message's intent qualify, and only when their prompt covers at least half of the message's content
   words; the one covering more words wins, then the earlier one. Its response is returned verbatim.
   An example of another intent never answers: "How much did we raise in the seed round?" shares
   every word with "How much should we raise for our seed round?", but a factual question must not
   get a fundraising opinion, nor a request to forge a signature an example about signing terms.
2. Otherwise a short first-person reply assembled from the persona: an opener for the intent, the
   stance on a topic the message names, the most relevant constitution line for boundary, factual
   and clarifying intents, and a signature phrase. Without a spec (legacy twins) the same assembly
   uses the twin's legacy settings.

Assembled text never contains one of the spec's banned phrases (deterministic_rules.banned_phrases
and every module's `ban`), not even inside a word: parts that would are left out. That is stricter
than the trace's `banned_phrase_hits` and the compliance check, which match whole words only. Only a
canonical example, which the spec's author wrote, is returned as is.

Work is linear in the size of the spec and nothing is cached between calls. Measured on
personas/fixtures/persona_spec_max.json: about 30 µs when an example answers, 100-150 µs when a
reply is assembled (50 stances, 50 constitution lines and 70 banned phrases to scan); the example
spec takes 10-30 µs either way.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from personas.banned_phrases import normalize_for_matching

from .base import Completion, CompletionRequest

OFFLINE_MODEL = "offline-deterministic-v1"

# The share of the message's content words an example's prompt must contain. "Should we offer a
# free pilot?" (offer, free, pilot) finds the pilot example; a message about four things that shares
# one word with a prompt does not get that prompt's answer.
MIN_EXAMPLE_COVERAGE = 0.5

# Returned only when a spec bans so much ordinary language that every assembled part is excluded.
LAST_RESORT_REPLY = "…"

# A word and the whitespace after it, or leading whitespace: the pieces concatenate to the text.
_STREAM_PIECE = re.compile(r"\S+\s*|\s+")

# Letters and digits of any script; apostrophes and punctuation split words.
_WORD = re.compile(r"[^\W_]+")

# Words that say how something is asked rather than what it is about. Dropping them keeps "should
# we" and "what was our" from making every question look like every example.
_STOPWORDS = frozenset(
    """
    a about after all also am an and any are as at be been before being but by can could did didn do
    does doesn don each even ever for from get got had has have he her here him his how i if in into
    is isn it its just let like may me might more most much must my need no not now of on one or
    our out over please really she should so some than that the their them then there these they
    this those to too up us very was wasn we were what when where which while who why will with won
    would you your
    """.split()
)

_OPENERS = {
    "factual_with_evidence": (
        "I don't have verified figures for that in what you've shared, and I won't guess. "
        "Send me the source or the numbers and I'll work from those."
    ),
    "advice_or_stance": (
        "Tell me the one constraint that matters most here and I'll give you a straight answer."
    ),
    "action_or_tool_execution": (
        "I can't send, book or schedule anything from here. I can draft it for you: "
        "tell me who it's for and what it needs to say."
    ),
    "ambiguity_or_clarify": (
        "Can you say a bit more? Tell me the decision you're facing and what's constraining it."
    ),
    "disagreement_or_conflict": (
        "Fair challenge. Show me the number or the example that cuts against my view "
        "and I'll reconsider."
    ),
    "summarize_or_transform": (
        "Paste the full text you want reworked and tell me who it's for; "
        "I'll keep it short and in my own words."
    ),
    "sensitive_boundary_or_refusal": (
        "That's not something I'll advise on directly; "
        "a qualified professional is the right person to ask."
    ),
}
_FALLBACK_OPENER_INTENT = "advice_or_stance"

# Intents whose reply quotes a constitution line, with the words that make a line relevant to them
# (matched as substrings, so "fabricat" covers fabricate and fabricated).
_RULE_CUES = {
    "sensitive_boundary_or_refusal": (
        "legal", "tax", "medical", "health", "professional", "advice", "harm", "safety", "privacy",
        "password", "credential", "secret", "personal",
    ),
    "factual_with_evidence": (
        "fabricat", "source", "number", "data", "evidence", "certain", "cite", "fact",
    ),
    "ambiguity_or_clarify": ("uncertain", "clarif", "question", "missing", "assum"),
}
_STANCE_INTENTS = frozenset({"advice_or_stance", "disagreement_or_conflict"})
_SIGNATURE_INTENTS = frozenset(
    {"advice_or_stance", "disagreement_or_conflict", "ambiguity_or_clarify"}
)
_STEM_SUFFIXES = ("ing", "es", "ed", "s", "e")


class OfflineProvider:
    name = "offline"
    model = OFFLINE_MODEL

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        text = offline_reply(request)
        latency_ms = round((time.perf_counter() - started) * 1000)
        return Completion(text=text, provider=self.name, model=self.model, latency_ms=latency_ms)

    def stream(self, request: CompletionRequest) -> Iterator[str | Completion]:
        """The same reply as complete(), word by word (each word with the spaces after it), so that
        streaming is exercised end to end without a network."""
        completion = self.complete(request)
        yield from _STREAM_PIECE.findall(completion.text)
        yield completion


class _Voice(NamedTuple):
    """The parts of a persona the assembled reply draws on, from a spec or from legacy settings."""

    intro: str
    signature_phrases: tuple[str, ...]
    stances: Mapping[str, Any]  # topic -> view (a string, or a mapping with a "value")
    constitution: tuple[str, ...]
    banned_phrases: tuple[str, ...]


def offline_reply(request: CompletionRequest) -> str:
    words = _WORD.findall(request.user_message.lower())
    content_words = _content_words(words)
    if request.spec is not None:
        example = _best_example(
            request.spec.get("canonical_examples") or (), request.intent_label, content_words
        )
        if example is not None:
            return example["response"]
        voice = _voice_from_spec(request.spec)
    else:
        voice = _voice_from_legacy(request.legacy_settings)
    return _assemble_reply(
        request.intent_label, voice, " " + " ".join(words), content_words, request.twin_name
    )


def _content_words(words: list[str]) -> tuple[str, ...]:
    # Short words only count with a digit ("q2"): as prefixes, "ai" or "go" match too much.
    unique = dict.fromkeys(
        word
        for word in words
        if word not in _STOPWORDS and (len(word) > 2 or (len(word) == 2 and not word.isalpha()))
    )
    return tuple(unique)


def _best_example(
    examples: Iterable[Mapping[str, Any]], intent_label: str, content_words: tuple[str, ...]
) -> Mapping[str, Any] | None:
    if not content_words:
        return None
    # A word matches where a prompt word starts with it: "pilot" finds "pilots", "raise" finds
    # "raised", and "now" does not find "know". Checking prefixes in the raw lowercased prompt
    # avoids tokenising every example on every request.
    needles = [" " + word for word in content_words]
    required = MIN_EXAMPLE_COVERAGE * len(needles)
    best, best_rank = None, None
    for example in examples:
        if example.get("intent_label") != intent_label:
            continue
        prompt, response = example.get("prompt"), example.get("response")
        if not (isinstance(prompt, str) and isinstance(response, str) and response):
            continue
        prompt = " " + prompt.lower()
        covered = 0
        for needle in needles:
            if needle in prompt:
                covered += 1
        if covered < required:
            continue
        if best_rank is None or covered > best_rank:  # strictly greater: earlier examples win ties
            best, best_rank = example, covered
    return best


def _voice_from_spec(spec: Mapping[str, Any]) -> _Voice:
    identity = _mapping(spec.get("identity_voice"))
    banned = list(_list(_mapping(spec.get("deterministic_rules")).get("banned_phrases")))
    for module in _list(spec.get("procedural_modules")):
        if isinstance(module, Mapping):
            banned += _list(module.get("ban"))
    return _Voice(
        intro=_string(identity.get("public_intro")),
        signature_phrases=_strings(identity.get("signature_phrases")),
        stances=_mapping(spec.get("stance_values")),
        constitution=_strings(spec.get("constitution")),
        banned_phrases=tuple(phrase for phrase in banned if isinstance(phrase, str)),
    )


def _voice_from_legacy(settings: Mapping[str, Any]) -> _Voice:
    # Legacy settings were hand-edited JSON for years: accept a lone string where a list belongs
    # and ignore anything of the wrong shape instead of failing the chat.
    return _Voice(
        intro=_string(settings.get("public_intro")),
        signature_phrases=_strings(settings.get("signature_phrases")),
        stances=_mapping(settings.get("opinion_map")),
        constitution=(),
        banned_phrases=(),
    )


def _assemble_reply(
    intent_label: str,
    voice: _Voice,
    message_words: str,
    content_words: tuple[str, ...],
    twin_name: str,
) -> str:
    stance = ""
    if intent_label in _STANCE_INTENTS:
        stance = _matching_stance(voice.stances, message_words)
    if intent_label == "meta_or_system":
        opener = voice.intro or _default_intro(twin_name)
    elif intent_label == "advice_or_stance" and stance:
        opener = ""  # the stance is the answer
    else:
        opener = _OPENERS.get(intent_label, _OPENERS[_FALLBACK_OPENER_INTENT])
    rule = _relevant_rule(voice.constitution, intent_label, content_words)
    signature = ""
    if intent_label in _SIGNATURE_INTENTS and voice.signature_phrases:
        # crc32, not hash(): str hashes are salted per process and the reply must be reproducible.
        index = zlib.crc32(message_words.encode()) % len(voice.signature_phrases)
        signature = voice.signature_phrases[index].strip()

    parts = [part for part in (opener, stance, rule, signature) if part]
    reply = " ".join(parts)
    haystack = normalize_for_matching(reply)
    banned = [needle for needle in map(normalize_for_matching, voice.banned_phrases) if needle and needle in haystack]
    if not banned:
        return reply
    # Rare, so only now is each part checked on its own. A part may contain a banned phrase even
    # when it comes from the spec itself ("Never say 'As an AI language model'").
    reply = " ".join(part for part in parts if not _contains_any(part, banned))
    # The join can create a phrase that spans two kept parts.
    if not reply or _contains_any(reply, banned):
        return LAST_RESORT_REPLY
    return reply


def _matching_stance(stances: Mapping[str, Any], message_words: str) -> str:
    """The persona's view on the first topic (in spec order) that the message names."""
    for topic, view in stances.items():
        topic_words = _WORD.findall(str(topic).lower())
        if topic_words and all(" " + _stem(word) in message_words for word in topic_words):
            text = _string(view.get("value") if isinstance(view, Mapping) else view)
            if text:
                return f"My view on {' '.join(topic_words)}: {_sentence(text)}"
    return ""


def _stem(word: str) -> str:
    # Just enough to let "pricing" match "price" and "hiring" match "hires"; topics are few and
    # short, so a real stemmer would buy nothing.
    for suffix in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _relevant_rule(
    constitution: tuple[str, ...], intent_label: str, content_words: tuple[str, ...]
) -> str:
    cues = _RULE_CUES.get(intent_label)
    if not cues or not constitution:
        return ""
    cues += content_words
    best_line, best_score = "", 0
    for line in constitution:
        lowered = line.lower()
        score = sum(1 for cue in cues if cue in lowered)
        if score > best_score:  # strictly greater: earlier lines win ties
            best_line, best_score = line, score
    return f"One rule I hold to: {_sentence(best_line)}" if best_line else ""


def _default_intro(twin_name: str) -> str:
    person = twin_name.strip() or "the person I represent"
    return f"I'm a digital twin: I answer the way {person} would, from what they have shared."


def _contains_any(text: str, normalized_needles: list[str]) -> bool:
    haystack = normalize_for_matching(text)
    return any(needle in haystack for needle in normalized_needles)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(item for item in value if isinstance(item, str) and not item.isspace() and item)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
