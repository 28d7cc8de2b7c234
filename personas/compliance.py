"""Persona compliance of a reply: does one reply keep to the compiled spec that prompted it?

    check_compliance(compiled, intent_label, reply, message) -> Compliance(score, violations, rules_checked)

Six rules, each read from the spec and each with a weight. A rule is *applicable* to a reply when the
spec (or a default) gives it something to check for that intent; the score is

    1 - (sum of the weights of the violated rules) / (sum of the weights of the applicable rules)

and 1.0 when no rule applies. `docs/persona-spec.md` ("Persona compliance of a reply") explains every
rule, its keys and its defaults for spec authors; the constants below are the same numbers.

Everything that depends only on the spec is prepared once per version by `compliance_profile`, which
`personas.compiler.precompile` calls, so the profile is cached with the compiled form and a check is
a few set operations and string scans (under 50 µs for a 200-word reply on the max fixture; `make
bench` measures it). Plain Python, no Django; deterministic: equal inputs give equal results.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from personas.banned_phrases import PhraseMatcher, prepare_phrases, words_of
from personas.prompt_text import ASCII_WORDS_OF_ONE, STOPWORDS, ascii_words_of_many, query_tokens
from personas.spec import INTENT_LABELS, Module, PersonaSpecV1

if TYPE_CHECKING:
    from personas.compiler import CompiledSpec

BANNED_PHRASE = "banned_phrase"
LENGTH = "length"
STRUCTURE = "structure"
CLARIFY = "clarify"
HEDGING = "hedging"
ANTI_EXAMPLE_COPY = "anti_example_copy"
# Checked, and reported, in this order.
RULE_WEIGHTS: dict[str, int] = {
    BANNED_PHRASE: 3,
    LENGTH: 1,
    STRUCTURE: 1,
    CLARIFY: 2,
    HEDGING: 1,
    ANTI_EXAMPLE_COPY: 3,
}
RULE_NAMES = tuple(RULE_WEIGHTS)

# The chat page's badge: green from GOOD_SCORE, amber from LOW_SCORE, red below. The admin's
# "low" filter is the red band.
GOOD_SCORE = 0.9
LOW_SCORE = 0.7

# length: words are whitespace-separated runs. Each bound comes from the first of
# deterministic_rules.length_by_intent.<intent>, deterministic_rules.min_words / max_words,
# interaction_style.brevity_default (maximum only), then these defaults.
DEFAULT_MIN_WORDS = 1
DEFAULT_MAX_WORDS = 400
DEFAULT_MAX_WORDS_BY_INTENT = {"summarize_or_transform": 600}
BREVITY_MAX_WORDS = {"concise": 180, "balanced": 350, "detailed": 700}

# structure
PARAGRAPH, BULLETS, NUMBERED = "paragraph", "bullets", "numbered"
STRUCTURES = (PARAGRAPH, BULLETS, NUMBERED)
MIN_LIST_ITEMS = 2
_BULLET_MARKS = frozenset("-*•")

# clarify
CLARIFY_INTENT = "ambiguity_or_clarify"

# hedging: a voice is decisive when identity_voice, interaction_style or the say_style of a module
# selected for the intent uses one of these words (in a string value, or as a key set to true).
DECISIVE_WORDS = frozenset({"decisive", "decisively", "direct", "directly"})
HEDGES = (
    "maybe", "perhaps", "possibly", "probably", "arguably", "presumably", "might", "somewhat", "seemingly",
    "it depends", "i think", "i believe", "i guess", "i suppose", "i feel like", "it seems", "could be",
    "not sure", "hard to say", "in my opinion",
)
DEFAULT_MAX_HEDGES_PER_100_WORDS = 2.0

# anti_example_copy: content words are \w+ runs of at least 3 characters that are not stopwords.
ANTI_EXAMPLE_MIN_WORDS = 6
ANTI_EXAMPLE_COPY_SHARE = Fraction(3, 5)  # copied when at least 60% of its content words are in the reply


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class Compliance:
    score: float
    violations: tuple[Violation, ...]
    rules_checked: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as stored in a reply's trace."""
        return {
            "score": round(self.score, 3),
            "violations": [{"rule": violation.rule, "detail": violation.detail} for violation in self.violations],
            "rules_checked": list(self.rules_checked),
        }


def score_level(score: float) -> str:
    """"good", "fair" or "low": the chat page's green, amber and red badge."""
    return "good" if score >= GOOD_SCORE else "fair" if score >= LOW_SCORE else "low"


def score_percent(score: float) -> str:
    """"87%": rounded down, so 100% means no violation at all."""
    return f"{math.floor(round(score * 100, 6))}%"


# --------------------------------------------------------------------------------------------
# The profile: everything a check needs, prepared once per version
# --------------------------------------------------------------------------------------------


class _Bound(NamedTuple):  # tuples, not dataclasses, below: they unpickle several times faster
    words: int
    source: str  # where the number came from, for the violation's detail


class _Hedge(NamedTuple):
    text: str
    words: frozenset[str]
    needle: str  # in the "word-per-slot" form of `_hedge_counts`


class _AntiExample(NamedTuple):
    name: str  # its id, or its JSON Pointer
    words: frozenset[str]
    copied_at: int  # this many shared content words or more is a copy


@dataclass(frozen=True, slots=True)
class IntentRules:
    """The rules for one intent label; `None` or "" means the rule does not apply."""

    banned: PhraseMatcher
    min_words: _Bound
    max_words: _Bound
    structure: str | None
    structure_source: str
    clarify_source: str
    max_hedges_per_100_words: float | None
    hedging_source: str


@dataclass(frozen=True, slots=True)
class ComplianceProfile:
    intents: dict[str | None, IntentRules]
    anti_examples: tuple[_AntiExample, ...]
    anti_vocabulary: frozenset[str]
    anti_fewest_copied: int  # no anti-example is copied by a reply sharing fewer of its words

    def rules_for(self, intent_label: str | None) -> IntentRules:
        rules = self.intents.get(intent_label)
        return rules if rules is not None else self.intents[None]


class _IntentSelection(Protocol):
    """What the compiler decided for one intent (its `_IntentPlan`)."""

    banned_phrases: tuple[str, ...]
    module_ids: tuple[str, ...]


def compliance_profile(spec: PersonaSpecV1, selections: Mapping[str | None, _IntentSelection]) -> ComplianceProfile:
    """The profile of `spec`, given the compiler's per-intent selections (keyed like
    `CompiledSpec.intents`: a label missing there gets the selection of None, as in the compiler)."""
    extra = spec.deterministic_rules.model_extra or {}
    modules_by_id = {module.id: module for module in spec.procedural_modules}
    length_by_intent = _mapping(extra.get("length_by_intent"))
    structure_by_intent = _mapping(extra.get("structure_by_intent"))
    labels: set[str | None] = {None, *INTENT_LABELS, *selections}
    for by_intent in (length_by_intent, structure_by_intent):
        labels.update(label for label in by_intent if isinstance(label, str))

    prepared_phrases: dict = {}  # shared by every intent's matcher: most phrases are the spec's own
    prepare_phrases(
        [*spec.deterministic_rules.banned_phrases, *(phrase for module in spec.procedural_modules for phrase in module.ban)],
        prepared_phrases,
    )
    # Every intent's banned phrases start with the spec's own (the compiler's merge_banned_phrases).
    spec_banned = tuple(dict.fromkeys(spec.deterministic_rules.banned_phrases))
    spec_matcher = PhraseMatcher.of(spec_banned, prepared_phrases)

    spec_needles = frozenset(entry.needle for entry in spec_matcher.phrases)
    matchers: dict[tuple[str, ...], PhraseMatcher] = {}  # intents with the same bans share one matcher

    def matcher(banned: tuple[str, ...]) -> PhraseMatcher:
        if banned not in matchers:
            if banned[: len(spec_banned)] == spec_banned:
                matchers[banned] = spec_matcher.extended(banned[len(spec_banned):], prepared_phrases, spec_needles)
            else:
                matchers[banned] = PhraseMatcher.of(banned, prepared_phrases)
        return matchers[banned]

    # What every intent falls back on is worked out once, not once per intent (and the intents then
    # share these objects, which pickle stores once).
    brevity = spec.interaction_style.get("brevity_default")
    brevity_max = BREVITY_MAX_WORDS.get(brevity.strip().lower()) if isinstance(brevity, str) else None
    spec_min_words = _first_count(
        (extra.get("min_words"), "deterministic_rules.min_words"), (DEFAULT_MIN_WORDS, "default")
    )
    spec_max_words = _first_count(
        (extra.get("max_words"), "deterministic_rules.max_words"),
        (brevity_max, f"interaction_style.brevity_default {brevity!r}"),
    )
    style_structure = _structure_named(spec.interaction_style.get("structure_default"))
    spec_structure = (style_structure, "interaction_style.structure_default") if style_structure else (None, "")
    spec_hedging = _spec_hedging(spec, extra)
    decisive_modules: dict[str, str] = {}  # module id -> where its say_style calls the voice decisive
    # module id -> the structure its say_style names, for the few modules that name one: judged once
    # each, and an intent need not look at its modules at all when none does.
    module_structures = {
        module.id: found for module in spec.procedural_modules
        if ("structure" in module.say_style or "format" in module.say_style) and (found := _module_structure(module))
    }

    def length_bounds(label: str | None) -> tuple[_Bound, _Bound]:
        # Each bound comes from the first of the intent's own, the spec's, then the default.
        minimum, maximum = spec_min_words, spec_max_words
        if label is not None and label in length_by_intent:
            by_intent, path = _mapping(length_by_intent[label]), f"deterministic_rules.length_by_intent.{label}"
            minimum = _first_count((by_intent.get("min_words"), f"{path}.min_words")) or minimum
            maximum = _first_count((by_intent.get("max_words"), f"{path}.max_words")) or maximum
        if maximum is None:
            words = DEFAULT_MAX_WORDS_BY_INTENT.get(label or "", DEFAULT_MAX_WORDS)
            maximum = _Bound(words, f"default for {label or 'no intent'}")
        assert minimum is not None  # DEFAULT_MIN_WORDS is a count
        return minimum, maximum

    def structure(label: str | None, modules: Sequence[Module]) -> tuple[str | None, str]:
        # The first of these that names a structure wins; each source is only spelled out once found.
        if label is not None and (found := _structure_named(structure_by_intent.get(label))):
            return found, f"deterministic_rules.structure_by_intent.{label}"
        if module_structures:
            for module in modules:
                if module.id in module_structures:
                    return module_structures[module.id]
        return spec_structure

    def rules(label: str | None) -> IntentRules:
        selection = selections.get(label) or selections[None]
        modules = [modules_by_id[module_id] for module_id in selection.module_ids]
        min_words, max_words = length_bounds(label)
        structure_name, structure_source = structure(label, modules)
        limit, hedging_source = spec_hedging or _module_hedging(modules, decisive_modules)
        return IntentRules(
            banned=matcher(tuple(selection.banned_phrases)),
            min_words=min_words,
            max_words=max_words,
            structure=structure_name,
            structure_source=structure_source,
            clarify_source=_clarify_source(spec, modules, label),
            max_hedges_per_100_words=limit,
            hedging_source=hedging_source,
        )

    anti_examples = tuple(_anti_examples(spec))
    return ComplianceProfile(
        intents={label: rules(label) for label in sorted(labels, key=lambda label: (label is not None, label or ""))},
        anti_examples=anti_examples,
        anti_vocabulary=frozenset().union(*(anti.words for anti in anti_examples)),
        anti_fewest_copied=min((anti.copied_at for anti in anti_examples), default=0),
    )


def _first_count(*candidates: tuple[Any, str]) -> _Bound | None:
    for value, source in candidates:
        if type(value) is int and value >= 0:  # not bool, not float: a spec author writes 180
            return _Bound(value, source)
    return None


def _module_structure(module: Module) -> tuple[str, str] | None:
    for key in ("structure", "format"):
        if found := _structure_named(module.say_style.get(key)):
            return found, f"module {module.id} say_style.{key}"
    return None


def _structure_named(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower() in STRUCTURES:
        return value.strip().lower()
    return None


def _clarify_source(spec: PersonaSpecV1, modules: Sequence[Module], label: str | None) -> str:
    if label != CLARIFY_INTENT:
        return ""
    if spec.decision_policy.get("clarify_when_ambiguous") is True:
        return "decision_policy.clarify_when_ambiguous"
    for module in modules:
        for step in module.do:
            if isinstance(step, str) and "clarif" in step.lower():
                return f"module {module.id} does {step!r}"
    return ""


def _spec_hedging(spec: PersonaSpecV1, extra: Mapping[str, Any]) -> tuple[float, str] | None:
    """(hedges allowed per 100 words, why) when the spec itself asks for few hedges, for every intent."""
    limit = extra.get("max_hedges_per_100_words")
    if type(limit) in (int, float) and math.isfinite(limit) and limit >= 0:
        return float(limit), "deterministic_rules.max_hedges_per_100_words"
    for name in ("identity_voice", "interaction_style"):
        path = _decisive_path(getattr(spec, name), name)
        if path:
            return DEFAULT_MAX_HEDGES_PER_100_WORDS, f"a decisive voice ({path})"
    return None


def _module_hedging(modules: Sequence[Module], decisive: dict[str, str]) -> tuple[float | None, str]:
    for module in modules:
        if module.id not in decisive:
            decisive[module.id] = _decisive_path(module.say_style, f"module {module.id} say_style")
        if decisive[module.id]:
            return DEFAULT_MAX_HEDGES_PER_100_WORDS, f"a decisive voice ({decisive[module.id]})"
    return None, ""


def _decisive_path(value: Any, path: str) -> str:
    """The path of the first (keys sorted) place in `value` that calls the voice decisive, or ""."""
    if isinstance(value, str):
        return path if _says_decisive(value) else ""
    # A path is only spelled out for a container to look into, or once found: most values are
    # strings that say nothing decisive.
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            item = value[key]
            if item is True and str(key).casefold() in DECISIVE_WORDS:
                return f"{path}.{key}"
            if isinstance(item, str):
                if _says_decisive(item):
                    return f"{path}.{key}"
            elif isinstance(item, (Mapping, list)) and (found := _decisive_path(item, f"{path}.{key}")):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                if _says_decisive(item):
                    return f"{path}[{index}]"
            elif isinstance(item, (Mapping, list)) and (found := _decisive_path(item, f"{path}[{index}]")):
                return found
    return ""


def _says_decisive(text: str) -> bool:
    folded = text.casefold()
    # A text holding one of the words holds it as a substring too: most texts hold none, and are
    # answered without being split into words.
    if not any(word in folded for word in DECISIVE_WORDS):
        return False
    return not DECISIVE_WORDS.isdisjoint(words_of(folded))


def _anti_examples(spec: PersonaSpecV1) -> Iterable[_AntiExample]:
    responses = [example.response for example in spec.anti_examples]
    # Casefolding changes no ASCII word, so the content words of ASCII text are its words but these.
    words_of_each = ascii_words_of_many(responses, _NOT_CONTENT_WORDS_IN_ASCII)
    if words_of_each is None:
        words_of_each = [content_words(response) for response in responses]
    for index, (example, words) in enumerate(zip(spec.anti_examples, words_of_each)):
        if len(words) >= ANTI_EXAMPLE_MIN_WORDS:
            # ceil(share * count) in integers: Fraction arithmetic costs microseconds per example.
            copied_at = -(-ANTI_EXAMPLE_COPY_SHARE.numerator * len(words) // ANTI_EXAMPLE_COPY_SHARE.denominator)
            yield _AntiExample(example.id or f"/anti_examples/{index}", words, copied_at)


def content_words(text: str) -> frozenset[str]:
    """Distinct words that say what a text is about: casefolded, at least 3 characters, no stopwords."""
    return _content_words_of_tokens(query_tokens(text))


def _content_words_of_tokens(tokens: frozenset[str]) -> frozenset[str]:
    return frozenset(word.casefold() for word in tokens if len(word) >= 3)


# Every word of at most two characters in a lowercased ASCII text.
_ASCII_WORDS_OF_TWO = ASCII_WORDS_OF_ONE | frozenset(a + b for a in ASCII_WORDS_OF_ONE for b in ASCII_WORDS_OF_ONE)
_NOT_CONTENT_WORDS_IN_ASCII = STOPWORDS | _ASCII_WORDS_OF_TWO


def _hedge(text: str) -> _Hedge:
    words = text.split()
    return _Hedge(text, frozenset(words), " " + "  ".join(words) + " ")


_HEDGES = tuple(_hedge(text) for text in HEDGES)


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------


def check_compliance(compiled: CompiledSpec, intent_label: str | None, reply: str, message: str) -> Compliance:
    """How well `reply` (to `message`, classified as `intent_label`) keeps to `compiled`'s spec.

    Use the compiled form and intent that built the reply's prompt. `message` only matters to
    `anti_example_copy`: words the user wrote are not counted as copied.
    """
    profile = compiled.compliance
    if profile is None:
        return Compliance(1.0, ())
    rules = profile.rules_for(intent_label)
    word_count = len(reply.split())
    words = words_of(reply.casefold())
    word_set = set(words)
    checked: list[str] = []
    violations: list[Violation] = []

    def rule(name: str, detail: str | None) -> None:
        checked.append(name)
        if detail:
            violations.append(Violation(name, detail))

    if rules.banned:
        rule(BANNED_PHRASE, _banned_detail(rules.banned.find(reply, word_set)))
    rule(LENGTH, _length_detail(word_count, rules))
    if rules.structure is not None:
        rule(STRUCTURE, _structure_detail(reply, rules))
    if rules.clarify_source:
        rule(CLARIFY, None if asks_a_question(reply) else (
            f"the request looks ambiguous and the spec asks to clarify ({rules.clarify_source}), "
            "but the reply asks no question"
        ))
    if rules.max_hedges_per_100_words is not None:
        rule(HEDGING, _hedging_detail(words, word_set, word_count, rules))
    if profile.anti_examples:
        rule(ANTI_EXAMPLE_COPY, _anti_example_detail(profile, word_set, message))

    applicable = sum(RULE_WEIGHTS[name] for name in checked)
    violated = sum(RULE_WEIGHTS[violation.rule] for violation in violations)
    score = 1.0 if applicable == 0 else min(1.0, max(0.0, 1 - violated / applicable))
    return Compliance(score, tuple(violations), tuple(checked))


def _banned_detail(hits: list[str]) -> str | None:
    return "says " + ", ".join(f'"{hit}"' for hit in hits) if hits else None


def _length_detail(word_count: int, rules: IntentRules) -> str | None:
    if word_count < rules.min_words.words:
        return f"{word_count} words; at least {rules.min_words.words} expected ({rules.min_words.source})"
    if word_count > rules.max_words.words:
        return f"{word_count} words; at most {rules.max_words.words} expected ({rules.max_words.source})"
    return None


def list_items(reply: str) -> tuple[int, int]:
    """(bullet lines, numbered lines): lines starting, after indentation, with "-", "*" or "•" and a
    space, or with 1-3 digits, "." or ")" and a space."""
    bullets = numbered = 0
    for line in reply.splitlines():
        line = line.lstrip()
        if len(line) < 3:
            continue
        if line[0] in _BULLET_MARKS and line[1] in " \t":
            bullets += 1
        elif line[0].isdigit():
            digits = len(line) - len(line.lstrip("0123456789"))
            if digits <= 3 and line[digits : digits + 1] in (".", ")") and line[digits + 1 : digits + 2] in (" ", "\t"):
                numbered += 1
    return bullets, numbered


def _structure_detail(reply: str, rules: IntentRules) -> str | None:
    bullets, numbered = list_items(reply)
    if rules.structure == PARAGRAPH:
        if bullets or numbered:
            return f"expected paragraphs, found a list ({bullets + numbered} list lines; {rules.structure_source})"
    elif rules.structure == BULLETS:
        if bullets < MIN_LIST_ITEMS:
            return f"expected a bulleted list, found {bullets} bullet lines ({rules.structure_source})"
    elif numbered < MIN_LIST_ITEMS:
        return f"expected a numbered list, found {numbered} numbered lines ({rules.structure_source})"
    return None


def asks_a_question(reply: str) -> bool:
    """Whether some sentence of `reply` is a question: it contains a "?" that ends a run of text
    holding a letter or digit since the last ".", "!", "?" or line break, and is not followed by a
    letter or digit (so "?q=1" in a link does not count)."""
    start = 0
    while (mark := reply.find("?", start)) != -1:
        following = reply[mark + 1 : mark + 2]
        if not following.isalnum():
            sentence_start = max(reply.rfind(stop, 0, mark) for stop in ".!?\n") + 1
            if any(char.isalnum() for char in reply[sentence_start:mark]):
                return True
        start = mark + 1
    return False


def _hedge_counts(words: list[str], word_set: set[str]) -> list[tuple[str, int]]:
    candidates = [hedge for hedge in _HEDGES if hedge.words <= word_set]
    if not candidates:
        return []
    # Every word in a slot of its own (" a  b  c "): counting " i  think " finds each consecutive
    # "i think" once, and never a word inside another.
    slots = " " + "  ".join(words) + " "
    counts = [(hedge.text, slots.count(hedge.needle)) for hedge in candidates]
    return [(text, count) for text, count in counts if count]


def _hedging_detail(words: list[str], word_set: set[str], word_count: int, rules: IntentRules) -> str | None:
    counts = _hedge_counts(words, word_set)
    total = sum(count for _, count in counts)
    limit = rules.max_hedges_per_100_words
    assert limit is not None
    # One hedge is always tolerated, so a short reply is not failed over a single "maybe".
    allowed = max(1.0, limit * word_count / 100)
    if total <= allowed:
        return None
    found = ", ".join(text if count == 1 else f"{text} ×{count}" for text, count in counts)
    return (
        f"{total} hedges in {word_count} words ({found}); more than {limit:g} per 100 words "
        f"(one is always allowed) for {rules.hedging_source}"
    )


def _anti_example_detail(profile: ComplianceProfile, word_set: set[str], message: str) -> str | None:
    shared_with_any = word_set & profile.anti_vocabulary
    if len(shared_with_any) < profile.anti_fewest_copied:
        return None
    copied = shared_with_any.difference(words_of(message.casefold())) if message else shared_with_any
    copies = []  # (share, shared words, anti-example), in spec order
    for anti in profile.anti_examples:
        shared = len(anti.words & copied)
        if shared >= anti.copied_at:
            copies.append((Fraction(shared, len(anti.words)), shared, anti))
    if not copies:
        return None
    share, shared, worst = max(copies, key=lambda copy: copy[0])  # the first of equal shares
    more = f" (and {len(copies) - 1} more)" if len(copies) > 1 else ""
    return (
        f"copies anti-example {worst.name}: {shared} of its {len(worst.words)} content words "
        f"({float(share):.0%}){more}"
    )


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}
