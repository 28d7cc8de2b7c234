"""Compile a persona spec into the system prompt of one chat turn.

Two ways in, one output:

* `compile_plan(spec, intent_label, user_query)` then `render(plan)`: the straightforward path,
  used for previews and as the reference.
* `precompile(spec)` once per published version, then `CompiledSpec.render_with_fingerprint(...)`
  per chat request: everything that does not depend on the user query is done ahead, so a request
  only ranks examples against its query and joins precomputed strings.

Both produce byte-identical text for the same spec, intent and query (the tests hold them to it).
Plain Python, no Django: a `CompiledSpec` pickles, so it can live in any Django cache backend.
"""

from __future__ import annotations

import copy
import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Any

from personas.compliance import ComplianceProfile, compliance_profile
from personas.prompt_text import (
    ANTI_STYLE_INTRO,
    FEW_SHOT_INTRO,
    anti_example_paragraph,
    example_block,
    example_token_text,
    example_tokens,
    mapping_lines,
    module_block,
    module_section_text,
    never_say_paragraph,
    query_tokens,
    query_tokens_of_many,
    rules_paragraph,
)
from personas.spec import Example, Module, PersonaSpecV1, parse_spec

# Part of any cache key for a CompiledSpec: bump it whenever the rendered text or the selection
# rules change, so workers never serve text compiled by older code. 2: the compliance profile.
COMPILER_VERSION = 2

CONSTITUTION = "CONSTITUTION"
DECISION_POLICY = "DECISION POLICY"
STANCE_VALUES = "STANCE VALUES"
VOICE_IDENTITY = "VOICE IDENTITY"
INTERACTION_STYLE = "INTERACTION STYLE"
PROCEDURAL_MODULES = "INTENT PROCEDURAL MODULES"
FEW_SHOTS = "CANONICAL FEW-SHOTS"
ANTI_STYLE = "ANTI-STYLE RULES"
CUSTOM_INSTRUCTIONS = "CUSTOM INSTRUCTIONS"
SECTION_ORDER = (
    CONSTITUTION, DECISION_POLICY, STANCE_VALUES, VOICE_IDENTITY, INTERACTION_STYLE,
    PROCEDURAL_MODULES, FEW_SHOTS, ANTI_STYLE, CUSTOM_INSTRUCTIONS,
)

# (section, spec field, lead-in line) for the sections that are the same for every request.
_MAPPING_SECTIONS = (
    (DECISION_POLICY, "decision_policy", "How you decide what to do with a request."),
    (STANCE_VALUES, "stance_values", "Positions you hold. Argue from them and keep them consistent."),
    (VOICE_IDENTITY, "identity_voice", "Who you are and how you sound."),
    (INTERACTION_STYLE, "interaction_style", "How you shape your replies."),
)
_CONSTITUTION_INTRO = "Rules you never break. They override everything below."


@dataclass(frozen=True, slots=True)
class CompileOptions:
    """How many canonical examples a prompt shows: at least `min_few_shots` when the spec has that
    many, at most `max_few_shots`, counting the ones named by the selected modules."""

    min_few_shots: int = 2
    max_few_shots: int = 4

    def __post_init__(self) -> None:
        if not 0 <= self.min_few_shots <= self.max_few_shots:
            raise ValueError("need 0 <= min_few_shots <= max_few_shots")


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class FewShot:
    """A chosen canonical example. `id` is the example's id, or its JSON Pointer
    ("/canonical_examples/3") when it has none, so traces can always name it."""

    id: str
    intent_label: str
    prompt: str
    response: str


@dataclass(frozen=True, slots=True)
class PromptPlan:
    persona_spec_version: str | None
    intent_label: str | None
    sections: tuple[Section, ...]
    few_shots: tuple[FewShot, ...]
    # {"banned_phrases": [...], "anti_style_rules": [...], **other keys of the spec's rules}
    deterministic_rules: dict[str, Any]
    selected_module_ids: tuple[str, ...]
    fingerprint: str

    @property
    def few_shot_ids(self) -> tuple[str, ...]:
        return tuple(shot.id for shot in self.few_shots)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the API's `prompt_plan_preview`); the text itself is `render(plan)`."""
        return {
            "persona_spec_version": self.persona_spec_version,
            "intent_label": self.intent_label,
            "sections": [{"name": section.name, "text": section.text} for section in self.sections],
            "few_shot_ids": list(self.few_shot_ids),
            "selected_module_ids": list(self.selected_module_ids),
            "deterministic_rules": copy.deepcopy(self.deterministic_rules),
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """What a chat request needs: the prompt text and what its trace records."""

    text: str
    fingerprint: str | None  # None from `render_for_request`
    persona_spec_version: str | None
    intent_label: str | None
    module_ids: tuple[str, ...]
    few_shot_ids: tuple[str, ...]
    banned_phrases: tuple[str, ...]


def render(plan: PromptPlan) -> str:
    return _join(part for section in plan.sections for part in (_heading(section.name), section.text))


def fingerprint_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# Plain path
# --------------------------------------------------------------------------------------------


def compile_plan(
    spec: PersonaSpecV1 | Mapping[str, Any],
    intent_label: str | None = None,
    user_query: str | None = None,
    options: CompileOptions | None = None,
    *,
    persona_spec_version: str | None = None,
) -> PromptPlan:
    """The prompt plan for one request. Raises `SpecValidationError` for an invalid raw spec.

    `persona_spec_version` overrides `spec.version` (for a stored version whose JSON omits it).
    """
    spec = parse_spec(spec)
    options = options or CompileOptions()
    modules = select_modules(spec.procedural_modules, intent_label)
    named = _module_named_examples(spec.canonical_examples, modules)
    examples = spec.canonical_examples
    chosen = choose_examples(
        named,
        candidates=[index for index in range(len(examples)) if index not in named],
        intent_matches={index for index, example in enumerate(examples) if example.intent_label == intent_label},
        tokens=[example_tokens(example) for example in examples],
        query=query_tokens(user_query),
        options=options,
    )
    banned = merge_banned_phrases(spec, modules)
    sections = [
        *_static_sections(spec),
        _module_section(intent_label, modules),
        _few_shot_section([example_block(examples[index]) for index in chosen]),
        _anti_style_section(_anti_style_paragraphs(_shared_anti_style_paragraphs(spec), banned)),
        _custom_section(spec),
    ]
    sections = tuple(section for section in sections if section is not None)
    text = _join(part for section in sections for part in (_heading(section.name), section.text))
    return PromptPlan(
        persona_spec_version=persona_spec_version or spec.version,
        intent_label=intent_label,
        sections=sections,
        few_shots=tuple(_few_shot(examples[index], index) for index in chosen),
        deterministic_rules=_deterministic_rules(
            spec.deterministic_rules.model_extra or {}, banned, spec.deterministic_rules.anti_style_rules
        ),
        selected_module_ids=tuple(module.id for module in modules),
        fingerprint=fingerprint_of(text),
    )


def select_modules(modules: Sequence[Module], intent_label: str | None) -> list[Module]:
    """Active modules for the intent, by priority then id. Without an intent no module applies:
    every module is written for some intent, and guessing one would mislead the model."""
    if intent_label is None:
        return []
    chosen = [module for module in modules if module.active and intent_label in module.intent_labels]
    return sorted(chosen, key=lambda module: (module.priority, module.id))


def choose_examples(
    named: Sequence[int],
    *,
    candidates: Sequence[int],
    intent_matches: Set[int],
    tokens: Sequence[frozenset[str]],
    query: frozenset[str],
    options: CompileOptions,
) -> list[int]:
    """Indices of the canonical examples to show, in order.

    Module-named examples come first. The remaining `candidates` score one point for matching the
    intent plus one per word shared with the query; ties keep spec order. Examples scoring zero only
    fill up to `min_few_shots`: an unrelated example teaches the model less than a short prompt.
    """
    chosen = list(named[: options.max_few_shots])
    room = options.max_few_shots - len(chosen)
    if room <= 0 or not candidates:
        return chosen
    if query:
        scores = {index: (index in intent_matches) + len(query & tokens[index]) for index in candidates}
    else:
        scores = {index: int(index in intent_matches) for index in candidates}
    # `candidates` are in spec order and sorting is stable (also with reverse=True): ties keep it.
    ranked = sorted(candidates, key=scores.__getitem__, reverse=True)
    relevant = len(candidates) - list(scores.values()).count(0)
    chosen.extend(ranked[: min(room, max(relevant, options.min_few_shots - len(chosen)))])
    return chosen


def merge_banned_phrases(spec: PersonaSpecV1, modules: Sequence[Module]) -> list[str]:
    """The spec's banned phrases, then the selected modules' `ban`, each once, first seen first."""
    phrases = [*spec.deterministic_rules.banned_phrases, *(phrase for module in modules for phrase in module.ban)]
    return list(dict.fromkeys(phrases))


def _module_named_examples(examples: Sequence[Example], modules: Sequence[Module]) -> list[int]:
    index_by_id = {example.id: index for index, example in enumerate(examples) if example.id is not None}
    return _named_indices(index_by_id, modules)


def _named_indices(index_by_id: Mapping[str, int], modules: Sequence[Module]) -> list[int]:
    named = [index_by_id[example_id] for module in modules for example_id in module.few_shot_ids
             if example_id in index_by_id]
    return list(dict.fromkeys(named))


def _static_sections(spec: PersonaSpecV1) -> list[Section]:
    sections = []
    if spec.constitution:
        lines = [_CONSTITUTION_INTRO, *(f"- {rule}" for rule in spec.constitution)]
        sections.append(Section(CONSTITUTION, "\n".join(lines)))
    for name, field_name, intro in _MAPPING_SECTIONS:
        mapping = getattr(spec, field_name)
        if mapping:
            sections.append(Section(name, "\n".join([intro, *mapping_lines(mapping)])))
    return sections


def _module_section(intent_label: str | None, modules: Sequence[Module]) -> Section | None:
    text = module_section_text(intent_label, modules)
    return Section(PROCEDURAL_MODULES, text) if text else None


def _few_shot_section(blocks: Sequence[str]) -> Section | None:
    return Section(FEW_SHOTS, _join([FEW_SHOT_INTRO, *blocks])) if blocks else None


def _shared_anti_style_paragraphs(spec: PersonaSpecV1) -> tuple[str, str]:
    """The anti-style paragraphs that are the same for every intent: (rules, anti-examples)."""
    return (
        rules_paragraph(spec.deterministic_rules.anti_style_rules),
        anti_example_paragraph(spec.anti_examples),
    )


def _anti_style_paragraphs(shared: tuple[str, str], banned: Sequence[str]) -> tuple[str, ...]:
    rules, anti_examples = shared
    return tuple(paragraph for paragraph in (rules, never_say_paragraph(banned), anti_examples) if paragraph)


def _anti_style_section(paragraphs: Sequence[str]) -> Section | None:
    return Section(ANTI_STYLE, _join([ANTI_STYLE_INTRO, *paragraphs])) if paragraphs else None


def _custom_section(spec: PersonaSpecV1) -> Section | None:
    text = (spec.custom_instructions or "").strip()
    return Section(CUSTOM_INSTRUCTIONS, text) if text else None


def _few_shot(example: Example, index: int) -> FewShot:
    return FewShot(
        id=example.id or f"/canonical_examples/{index}",
        # Interned: the same few labels recur in every example, and pickle stores one object once
        # (a spec validated from JSON text had them shared already, by the parser's string cache).
        intent_label=sys.intern(example.intent_label),
        prompt=example.prompt,
        response=example.response,
    )


def _deterministic_rules(
    other_rules: Mapping[str, Any], banned: Sequence[str], anti_style_rules: Sequence[str]
) -> dict[str, Any]:
    # A fresh dict per plan, deep-copied, so a caller editing one plan cannot change another.
    return {
        **_key_sorted_copy(other_rules),
        "banned_phrases": list(banned),
        "anti_style_rules": list(anti_style_rules),
    }


def _key_sorted_copy(value: Any) -> Any:
    """A deep copy of a JSON value with the keys of every object in sorted order: the order a spec
    validated from its canonical JSON has, whichever order the caller's dict had."""
    if isinstance(value, Mapping):
        return {key: _key_sorted_copy(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_key_sorted_copy(item) for item in value]
    return value


def _heading(section_name: str) -> str:
    return f"## {section_name}"


def _join(parts: Iterable[str]) -> str:
    """Sections, their headings and their paragraphs are all separated by one blank line."""
    return "\n\n".join(parts)


# --------------------------------------------------------------------------------------------
# Precompiled hot path
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _IntentPlan:
    """Everything about one intent label that does not depend on the user query.

    `head` and `tail` are the rendered text before and after the few-shots, as parts for one
    `_join`. Parts common to all intents are the same string objects, which pickle stores once.
    """

    module_ids: tuple[str, ...]
    modules_text: str
    named_examples: tuple[int, ...]
    candidates: tuple[int, ...]
    intent_matches: frozenset[int]
    banned_phrases: tuple[str, ...]
    anti_style_paragraphs: tuple[str, ...]
    head: tuple[str, ...]
    tail: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledSpec:
    """A validated spec with all query-independent work done; build it with `precompile`.

    Immutable and picklable. An intent label the spec never mentions behaves like None, exactly as
    in `compile_plan`: no modules, and no example gets the intent bonus.
    """

    persona_spec_version: str | None
    options: CompileOptions
    static_sections: tuple[Section, ...]
    few_shots: tuple[FewShot, ...]
    example_blocks: tuple[str, ...]
    example_tokens: tuple[frozenset[str], ...]
    anti_style_rules: tuple[str, ...]
    other_deterministic_rules: dict[str, Any]
    intents: dict[str | None, _IntentPlan] = field(repr=False)
    custom_section: Section | None = None
    # What `personas.compliance.check_compliance` needs, prepared with the rest (None: nothing checked).
    compliance: ComplianceProfile | None = field(default=None, repr=False)

    def render(self, intent_label: str | None = None, user_query: str | None = None) -> str:
        intent = self._intent(intent_label)
        return self._text(intent, self._choose(intent, user_query))

    def render_with_fingerprint(
        self, intent_label: str | None = None, user_query: str | None = None
    ) -> RenderedPrompt:
        """The text plus everything a trace records, with the text's fingerprint."""
        return self._rendered(intent_label, user_query, fingerprint=True)

    def render_for_request(self, intent_label: str | None = None, user_query: str | None = None) -> RenderedPrompt:
        """The chat hot path: like `render_with_fingerprint` without hashing (fingerprint None).

        The chat runtime embeds this text in a larger system prompt and fingerprints that once.
        """
        return self._rendered(intent_label, user_query, fingerprint=False)

    def _rendered(self, intent_label: str | None, user_query: str | None, *, fingerprint: bool) -> RenderedPrompt:
        intent = self._intent(intent_label)
        chosen = self._choose(intent, user_query)
        text = self._text(intent, chosen)
        return RenderedPrompt(
            text=text,
            fingerprint=fingerprint_of(text) if fingerprint else None,
            persona_spec_version=self.persona_spec_version,
            intent_label=intent_label,
            module_ids=intent.module_ids,
            few_shot_ids=tuple(self.few_shots[index].id for index in chosen),
            banned_phrases=intent.banned_phrases,
        )

    def plan(self, intent_label: str | None = None, user_query: str | None = None) -> PromptPlan:
        """The same PromptPlan `compile_plan` builds for this spec, intent and query."""
        intent = self._intent(intent_label)
        chosen = self._choose(intent, user_query)
        sections = [
            *self.static_sections,
            Section(PROCEDURAL_MODULES, intent.modules_text) if intent.modules_text else None,
            _few_shot_section([self.example_blocks[index] for index in chosen]),
            _anti_style_section(intent.anti_style_paragraphs),
            self.custom_section,
        ]
        return PromptPlan(
            persona_spec_version=self.persona_spec_version,
            intent_label=intent_label,
            sections=tuple(section for section in sections if section is not None),
            few_shots=tuple(self.few_shots[index] for index in chosen),
            deterministic_rules=_deterministic_rules(
                self.other_deterministic_rules, intent.banned_phrases, self.anti_style_rules
            ),
            selected_module_ids=intent.module_ids,
            fingerprint=fingerprint_of(self._text(intent, chosen)),
        )

    def _intent(self, intent_label: str | None) -> _IntentPlan:
        intent = self.intents.get(intent_label)
        return intent if intent is not None else self.intents[None]

    def _choose(self, intent: _IntentPlan, user_query: str | None) -> list[int]:
        if len(intent.named_examples) >= self.options.max_few_shots:
            return list(intent.named_examples)  # no room left, so the query cannot change the choice
        return choose_examples(
            intent.named_examples,
            candidates=intent.candidates,
            intent_matches=intent.intent_matches,
            tokens=self.example_tokens,
            query=query_tokens(user_query),
            options=self.options,
        )

    def _text(self, intent: _IntentPlan, chosen: Sequence[int]) -> str:
        if not chosen:
            return _join(intent.head + intent.tail)
        blocks = [self.example_blocks[index] for index in chosen]
        return _join([*intent.head, _heading(FEW_SHOTS), FEW_SHOT_INTRO, *blocks, *intent.tail])


def _module_order(module: Module) -> tuple[int, str]:
    return module.priority, module.id


def _intent_plan_without_modules(
    banned_phrases: tuple[str, ...],
    all_indices: tuple[int, ...],
    shared_anti_style: tuple[str, str],
    static_parts: tuple[str, ...],
    custom_parts: tuple[str, ...],
    anti_style_heading: str,
) -> _IntentPlan:
    """The plan of an intent no active module names (and of None): only the spec's own bans, no
    module text, no named examples; its `intent_matches` are left for the caller."""
    anti_style = _anti_style_paragraphs(shared_anti_style, banned_phrases)
    return _IntentPlan(
        module_ids=(),
        modules_text="",
        named_examples=(),
        candidates=all_indices,
        intent_matches=frozenset(),
        banned_phrases=banned_phrases,
        anti_style_paragraphs=anti_style,
        head=static_parts,
        tail=((anti_style_heading, ANTI_STYLE_INTRO, *anti_style) if anti_style else ()) + custom_parts,
    )


def precompile(
    spec: PersonaSpecV1 | Mapping[str, Any],
    options: CompileOptions | None = None,
    *,
    persona_spec_version: str | None = None,
) -> CompiledSpec:
    """Validate `spec` and do every query-independent step of `compile_plan` once, for every
    intent label the spec mentions (and None)."""
    spec = parse_spec(spec)
    options = options or CompileOptions()
    examples = spec.canonical_examples
    static_sections = tuple(_static_sections(spec))
    static_parts = tuple(part for section in static_sections for part in (_heading(section.name), section.text))
    shared_anti_style = _shared_anti_style_paragraphs(spec)
    custom = _custom_section(spec)
    custom_parts = (_heading(custom.name), custom.text) if custom else ()
    module_blocks = {module.id: module_block(module) for module in spec.procedural_modules}
    # One pass over modules and examples for all intents, instead of one per intent: what
    # `select_modules` and the intent bonus of `choose_examples` would find for each label. The
    # modules are sorted once; each label's list, taken in that order, is what sorting it gives
    # (sorting is stable, so also equal keys keep spec order).
    modules_by_label: dict[str, list[Module]] = {}
    for module in sorted(spec.procedural_modules, key=_module_order):
        if module.active:
            for label in dict.fromkeys(module.intent_labels):
                modules_by_label.setdefault(label, []).append(module)
    # And one pass over the examples for everything the compiled form keeps of each.
    few_shots, example_blocks, token_texts = [], [], []
    matches_by_label: dict[str, set[int]] = {}
    index_by_id: dict[str, int] = {}
    for index, example in enumerate(examples):
        few_shots.append(_few_shot(example, index))
        example_blocks.append(example_block(example))
        token_texts.append(example_token_text(example))
        matches_by_label.setdefault(example.intent_label, set()).add(index)
        if example.id is not None:
            index_by_id[example.id] = index
    all_indices = tuple(range(len(examples)))
    # Built once: every intent's parts hold these same objects, which pickle stores once.
    modules_heading, anti_style_heading = _heading(PROCEDURAL_MODULES), _heading(ANTI_STYLE)
    spec_banned = dict.fromkeys(spec.deterministic_rules.banned_phrases)
    no_modules = _intent_plan_without_modules(
        tuple(spec_banned), all_indices, shared_anti_style, static_parts, custom_parts, anti_style_heading
    )

    def intent_plan(intent_label: str | None) -> _IntentPlan:
        modules = modules_by_label.get(intent_label) if intent_label is not None else None
        matches = matches_by_label.get(intent_label)
        if not modules:
            # Most of what a label without modules has is the same for all such labels: share it.
            return no_modules if not matches else replace(no_modules, intent_matches=frozenset(matches))
        named = tuple(_named_indices(index_by_id, modules)[: options.max_few_shots])
        candidates = list(all_indices)  # the others, in spec order: a few removals cost less than a filter
        for index in named:
            candidates.remove(index)
        banned = spec_banned.copy()  # then the modules' bans, each once, first seen first: merge_banned_phrases
        banned.update(dict.fromkeys([phrase for module in modules for phrase in module.ban]))
        banned_phrases = tuple(banned)
        modules_text = module_section_text(intent_label, modules, module_blocks)
        anti_style = _anti_style_paragraphs(shared_anti_style, banned_phrases)
        head = static_parts + ((modules_heading, modules_text) if modules_text else ())
        return _IntentPlan(
            module_ids=tuple([module.id for module in modules]),
            modules_text=modules_text,
            named_examples=named,
            candidates=tuple(candidates) if named else all_indices,
            intent_matches=frozenset(matches or ()),
            banned_phrases=banned_phrases,
            anti_style_paragraphs=anti_style,
            head=head,
            tail=((anti_style_heading, ANTI_STYLE_INTRO, *anti_style) if anti_style else ()) + custom_parts,
        )

    labels = set(matches_by_label).union(*[module.intent_labels for module in spec.procedural_modules])
    intents = {label: intent_plan(label) for label in [None, *sorted(labels)]}
    rules = spec.deterministic_rules
    return CompiledSpec(
        persona_spec_version=persona_spec_version or spec.version,
        options=options,
        static_sections=static_sections,
        few_shots=tuple(few_shots),
        example_blocks=tuple(example_blocks),
        example_tokens=tuple(query_tokens_of_many(token_texts)),
        anti_style_rules=tuple(rules.anti_style_rules),
        other_deterministic_rules=_key_sorted_copy(rules.model_extra or {}),
        intents=intents,
        custom_section=custom,
        compliance=compliance_profile(spec, intents),
    )
